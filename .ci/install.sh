#!/usr/bin/env bash
# Installs the real registry clients the end-to-end tests drive (test/e2e/), on Debian 12 as root.
#
# Idempotent and fast on a machine that already has everything: apt is only touched when a
# package is missing. Docker's daemon is NOT installed as a service: the docker.io package is
# only unpacked into $BERTH_CI_DIR/docker (the tests start that dockerd themselves, on sockets in
# a scratch folder). Its runtime dependencies (containerd, runc, libdevmapper, ...) come from apt.
#
# Output goes to a log file; one summary line is printed (the log's tail on failure).
set -euo pipefail

BERTH_CI_DIR="${BERTH_CI_DIR:-/opt/berth-ci}"
DOCKER_DIR="$BERTH_CI_DIR/docker"
LOG="${BERTH_CI_LOG:-$BERTH_CI_DIR/install.log}"

# Clients under test, the runtime they run containers with, and what they need to start:
# uidmap for podman/buildah user namespaces; libdevmapper1.02.1, libsystemd0 (dockerd's shared
# libraries) and tini (docker-init) are docker.io dependencies that `dpkg -x` does not pull in.
# docker.io's iptables dependency is left out: the tests run dockerd with --iptables=false.
PACKAGES=(
  skopeo podman buildah runc containerd busybox-static apache2-utils openssl uidmap
  ca-certificates libdevmapper1.02.1 libsystemd0 tini
  # npm run bench: the reference registry (CNCF Distribution) and the load tools
  docker-registry wrk curl
  # the S3 driver's tests: a throwaway one-node Ceph cluster with its RADOS Gateway (test/helpers/rgw.ts)
  ceph-mon ceph-osd radosgw ceph-common
  # npm ci: node-gyp compiles native/resumable-hash.c (and better-sqlite3 when no prebuilt fits)
  build-essential python3
  # metadata on PostgreSQL (test/helpers/postgres.ts makes throwaway en_US.UTF-8 clusters)
  postgresql-15 locales
  # the multi-node tests and bench row: a load balancer in front of several nodes (test/helpers/haproxy.ts)
  haproxy
  # the console's browser tests: Debian's Chromium, driven by playwright-core (test/helpers/browser.ts)
  chromium fonts-dejavu-core
)

mkdir -p "$BERTH_CI_DIR"
: >"$LOG"
started=$SECONDS

fail() {
  echo "install.sh: FAILED: $1 (log: $LOG)" >&2
  tail -n 30 "$LOG" >&2 || true
  exit 1
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "installed" ]] || missing+=("$pkg")
done

export DEBIAN_FRONTEND=noninteractive
apt_updated=false
apt_update_once() {
  if [[ "$apt_updated" == false ]]; then
    apt-get -o DPkg::Lock::Timeout=600 update >>"$LOG" 2>&1 || fail "apt-get update"
    apt_updated=true
  fi
}

if ((${#missing[@]} > 0)); then
  apt_update_once
  apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}" >>"$LOG" 2>&1 ||
    fail "apt-get install ${missing[*]}"
fi

# The PostgreSQL suites run on an en_US.UTF-8 cluster, whose collation is not byte order.
if ! locale -a 2>/dev/null | grep -qi '^en_US\.utf-\?8$'; then
  sed -i 's/^# *\(en_US.UTF-8 UTF-8\)/\1/' /etc/locale.gen
  grep -q '^en_US.UTF-8 UTF-8' /etc/locale.gen || echo 'en_US.UTF-8 UTF-8' >>/etc/locale.gen
  locale-gen >>"$LOG" 2>&1 || fail "locale-gen en_US.UTF-8"
fi

# Unpack docker.io (dockerd + docker CLI) once; the stamp is written last, so an interrupted
# run is redone from scratch.
if [[ ! -f "$DOCKER_DIR/.complete" ]]; then
  apt_update_once
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && apt-get -o DPkg::Lock::Timeout=600 download docker.io) >>"$LOG" 2>&1 ||
    fail "apt-get download docker.io"
  deb=$(ls "$work"/docker.io_*.deb)
  rm -rf "$DOCKER_DIR" "$DOCKER_DIR.tmp"
  dpkg -x "$deb" "$DOCKER_DIR.tmp" >>"$LOG" 2>&1 || fail "dpkg -x $deb"
  # docker-init is a relative link to tini-static, which the tini package installs in /usr/bin
  ln -sfn /usr/bin/tini-static "$DOCKER_DIR.tmp/usr/bin/docker-init"
  dpkg-deb -f "$deb" Version >"$DOCKER_DIR.tmp/.complete"
  mv "$DOCKER_DIR.tmp" "$DOCKER_DIR"
fi

[[ -x /usr/lib/postgresql/15/bin/initdb ]] || fail "PostgreSQL 15 missing after install"
for bin in skopeo podman buildah ctr containerd runc busybox htpasswd ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph-authtool ceph; do
  command -v "$bin" >/dev/null || fail "$bin not on PATH after install"
done
for bin in "$DOCKER_DIR/usr/sbin/dockerd" "$DOCKER_DIR/usr/bin/docker"; do
  [[ -x "$bin" ]] || fail "$bin missing from the docker.io extraction"
  if ldd "$bin" 2>/dev/null | grep -q 'not found'; then
    ldd "$bin" >>"$LOG" 2>&1 || true
    fail "$bin lacks shared libraries"
  fi
done

echo "install.sh: ok in $((SECONDS - started)) s (installed: ${missing[*]:-nothing new}; docker $(cat "$DOCKER_DIR/.complete") in $DOCKER_DIR; log: $LOG)"

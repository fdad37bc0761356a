// A registry whose disk fills up: pushes get 507 with the OCI envelope and lose nothing, reads go
// on, and pushes work again once space is freed, without a restart; restarted on a full disk, a
// manifest PUT and an admin API write say the storage is full too. On real small filesystems,
// mounted as root: a size-limited tmpfs, and ext4 on a loop device (where uploads use O_DIRECT).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, open, readdir, rm, rmdir, stat, truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it, type TestContext } from "node:test";
import Sqlite from "better-sqlite3";
import { faultOf } from "../../src/registry/errors.js";
import { startRegistry, type RunningRegistry } from "../helpers/registry.js";
import { needTools } from "../helpers/tools.js";

const MiB = 1024 * 1024;
const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const FULL_MESSAGE = /storage is full/;

let registry: RunningRegistry | undefined;
/** what `after` undoes, last first */
const cleanups: (() => Promise<void>)[] = [];

after(async () => {
  await registry?.close();
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A fresh directory with a small filesystem mounted on it, unmounted after the tests. */
async function mounted(kind: "tmpfs" | "ext4", mebibytes: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `berth-full-${kind}-`));
  cleanups.push(() => rmdir(dir));
  if (kind === "tmpfs") {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${mebibytes}m`, "tmpfs", dir]);
  } else {
    const image = `${dir}.img`;
    cleanups.push(() => rm(image, { force: true }));
    execFileSync("truncate", ["-s", `${mebibytes}M`, image]);
    execFileSync("mkfs.ext4", ["-q", "-F", image]);
    execFileSync("mount", ["-o", "loop", image, dir]);
  }
  cleanups.push(async () => void execFileSync("umount", [dir]));
  return dir;
}

/** Mounting needs root: skipped without it, except under CI=true where that is a failure. */
function needRoot(t: TestContext): boolean {
  if (!needTools(t, "mount", "umount")) return false;
  if (process.getuid?.() === 0) return true;
  if (process.env.CI === "true") throw new Error("the disk-full test mounts a tmpfs and needs root (CI=true)");
  t.skip("needs root to mount a small tmpfs");
  return false;
}

/** Writes a file until the filesystem refuses more; returns its size. */
async function fill(path: string): Promise<number> {
  const handle = await open(path, "a");
  const block = Buffer.alloc(MiB, 1);
  let size = (await handle.stat()).size;
  try {
    for (;;) size += (await handle.write(block, 0, block.length, size)).bytesWritten;
  } catch (err) {
    assert.equal((err as NodeJS.ErrnoException).code, "ENOSPC");
  } finally {
    await handle.close();
  }
  return size;
}

/** `code`: the admin API names the fault STORAGE_FULL; /v2 keeps the spec's UNKNOWN. */
function expectFull(res: { status: number }, body: string, what: string, code = "UNKNOWN"): void {
  assert.equal(res.status, 507, `${what}: ${res.status} ${body}`);
  const error = (JSON.parse(body) as { errors: { code: string; message: string }[] }).errors[0]!;
  assert.equal(error.code, code, what);
  assert.match(error.message, FULL_MESSAGE, what);
}

describe("a full disk", () => {
  it("SQLite's answer when it cannot grow its WAL index there is a full storage too (507)", async (t) => {
    if (!needRoot(t)) return;
    const dir = await mounted("tmpfs", 4);
    const path = join(dir, "berth.db");
    const db = new Sqlite(path);
    db.pragma("journal_mode = WAL");
    db.close();
    await fill(join(dir, "filler"));
    const reopened = new Sqlite(path);
    try {
      assert.throws(
        () => reopened.pragma("journal_mode = WAL"),
        (err: unknown) => {
          const fault = faultOf(err);
          assert.equal(fault?.status, 507, `${(err as { code?: string }).code} is not mapped to 507`);
          assert.match(fault.message, FULL_MESSAGE);
          return true;
        },
      );
    } finally {
      reopened.close();
    }
  });

  for (const kind of ["tmpfs", "ext4"] as const) {
    it(`on ${kind}: is answered 507 without losing anything, and pushes work again once space is freed`, { timeout: 120_000 }, async (t) => {
      if (!needRoot(t) || (kind === "ext4" && !needTools(t, "mkfs.ext4", "truncate"))) return;
      await fullDisk(await mounted(kind, kind === "tmpfs" ? 32 : 48));
    });
  }
});

/** The scenario on a filesystem mounted at `mountPoint`. */
async function fullDisk(mountPoint: string): Promise<void> {
  const root = join(mountPoint, "data");
  const filler = join(mountPoint, "filler");
  const token = randomBytes(18).toString("base64url");
  const env = { BERTH_AUTH_ENABLED: "true", BERTH_AUTH_OPERATOR_TOKEN: token };
  const headers = { Authorization: `Basic ${Buffer.from(`berth/admin:${token}`).toString("base64")}` };
  const octet = { ...headers, "Content-Type": "application/octet-stream" };
  registry = await startRegistry({ root, env, args: ["--workers", "1"] });
  const url = (path: string) => new URL(path, registry!.url);
  const pushWhole = (blob: Buffer) =>
    fetch(url(`/v2/berth/app/blobs/uploads/?digest=${sha256(blob)}`), { method: "POST", headers: octet, body: new Uint8Array(blob) });

  // An image pushed while there is room.
  const layer = randomBytes(64 * 1024);
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }));
  for (const blob of [layer, config]) assert.equal((await pushWhole(blob)).status, 201);
  const manifest = (tag: string, padding = "") =>
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha256(config), size: config.length },
        layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: sha256(layer), size: layer.length }],
        annotations: padding ? { tag, padding } : { tag },
      }),
    );
  const putManifest = (tag: string, padding?: string) =>
    fetch(url(`/v2/berth/app/manifests/${tag}`), {
      method: "PUT",
      headers: { ...headers, "Content-Type": "application/vnd.oci.image.manifest.v1+json" },
      body: new Uint8Array(manifest(tag, padding)),
    });
  assert.equal((await putManifest("v1")).status, 201);

  // The disk fills up, but for 2 MiB.
  await truncate(filler, (await fill(filler)) - 2 * MiB);

  // A monolithic push that runs out of space: 507, and nothing of it stays.
  const big = randomBytes(4 * MiB);
  const refused = await pushWhole(big);
  expectFull(refused, await refused.text(), "monolithic push");
  assert.equal((await fetch(url(`/v2/berth/app/blobs/${sha256(big)}`), { method: "HEAD", headers })).status, 404);
  await assert.rejects(stat(join(root, "blobs", "sha256", sha256(big).slice(7, 9), sha256(big).slice(7))), { code: "ENOENT" });
  assert.deepEqual(await readdir(join(root, "uploads")), [], "no upload file left behind");

  // A chunk that runs out of space: 507, and the session keeps its size (and frees what it wrote).
  const started = await fetch(url("/v2/berth/app/blobs/uploads/"), { method: "POST", headers });
  assert.equal(started.status, 202);
  const session = started.headers.get("location")!;
  const chunk = await fetch(url(session), { method: "PATCH", headers: { ...octet, "Content-Range": `0-${big.length - 1}` }, body: new Uint8Array(big) });
  expectFull(chunk, await chunk.text(), "PATCH");
  const status = await fetch(url(session), { headers });
  assert.equal(status.status, 204);
  assert.equal(status.headers.get("range"), "0-0", "the session kept its size");
  const small = await fetch(url(session), { method: "PATCH", headers: { ...octet, "Content-Range": `0-${MiB - 1}` }, body: new Uint8Array(big.subarray(0, MiB)) });
  assert.equal(small.status, 202, "the refused chunk's space was freed");

  // Reads go on.
  const pulled = await fetch(url(`/v2/berth/app/blobs/${sha256(layer)}`), { headers });
  assert.equal(pulled.status, 200);
  assert.ok(Buffer.from(await pulled.arrayBuffer()).equals(layer));
  const tagged = await fetch(url("/v2/berth/app/manifests/v1"), { headers: { ...headers, Accept: "application/vnd.oci.image.manifest.v1+json" } });
  assert.equal(tagged.status, 200);
  await tagged.arrayBuffer();

  // Space freed: the same pushes succeed, without a restart.
  await rm(filler);
  assert.equal((await pushWhole(big)).status, 201);
  const rest = await fetch(url(session), { method: "PATCH", headers: { ...octet, "Content-Range": `${MiB}-${big.length - 1}` }, body: new Uint8Array(big.subarray(MiB)) });
  assert.equal(rest.status, 202, await rest.text());
  const closed = await fetch(url(`${session}${session.includes("?") ? "&" : "?"}digest=${sha256(big)}`), { method: "PUT", headers });
  assert.equal(closed.status, 201, await closed.text());
  const got = await fetch(url(`/v2/berth/app/blobs/${sha256(big)}`), { headers });
  assert.ok(Buffer.from(await got.arrayBuffer()).equals(big));

  // The disk fills up to the last byte, and the registry is restarted. SQLite may still commit a
  // small write into WAL pages it already has, so writes grow until the database needs space:
  // that manifest PUT, and then an admin API write, are refused as a full storage, never a 500.
  await fill(filler);
  await registry.close();
  registry = undefined;
  registry = await startRegistry({ root, env, args: ["--workers", "1"] });
  await fill(filler);
  let put: Response | undefined;
  for (let i = 0; i < 16 && (!put || put.status === 201); i++) {
    if (put) await put.arrayBuffer();
    put = await putManifest(`v2-${i}`, "x".repeat(256 * 1024 * (i + 1)));
  }
  expectFull(put!, await put!.text(), "manifest PUT after a restart");
  let group: Response | undefined;
  for (let i = 0; i < 64 && (!group || group.status === 201); i++) {
    if (group) await group.arrayBuffer();
    group = await fetch(url("/api/v1/tenancies/berth/groups"), {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/json" },
      body: JSON.stringify({ name: `developers-${i}`, description: "d".repeat(4096) }),
    });
  }
  expectFull(group!, await group!.text(), "admin API write after a restart", "STORAGE_FULL");
  const again = await fetch(url("/v2/berth/app/manifests/v1"), { headers: { ...headers, Accept: "application/vnd.oci.image.manifest.v1+json" } });
  assert.equal(again.status, 200, "reads still work");
  await again.arrayBuffer();
  await registry.close();
  registry = undefined;
}

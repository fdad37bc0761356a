// A bounded soak: mixed push / pull / token traffic with clients that hang up mid-body, against a
// real `berth serve` with auth and two serving processes. Afterwards: no 5xx, no serving process
// died, and memory did not creep (RSS within 20% of its value after warm-up).
// BERTH_SOAK_SECONDS sets the length (default 120).
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readFile, readdir } from "node:fs/promises";
import http from "node:http";
import { after, before, test } from "node:test";
import { basic, startAuthRegistry, type AuthRegistry } from "../iam/support.js";

const SECONDS = Number(process.env.BERTH_SOAK_SECONDS ?? "120");
const CLIENTS = 8;
const REQUEST_TIMEOUT_MS = 30_000;
const REPOS = ["berth/soak-a", "berth/soak-b", "berth/soak-c"];
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

let registry: AuthRegistry;
let operator: string;

before(async () => {
  registry = await startAuthRegistry({ BERTH_HTTP_WORKERS: "2", BERTH_LOG_ACCESSLOG_DISABLED: "true" });
  operator = basic("berth/admin", registry.operatorToken);
});
after(() => registry?.close());

interface Tally {
  requests: number;
  serverErrors: string[];
  /** a request the server never answered, outside the deliberate hang-ups */
  unanswered: string[];
  hangUps: number;
  byKind: Record<string, number>;
}

/** What one client pushed, so that it (and the others) can pull it back and check it. */
interface Pushed {
  repo: string;
  tag: string;
  layer: string;
  layerSize: number;
}

test(`soak: ${SECONDS} s of mixed traffic with hang-ups leaves no 5xx, no dead process, no memory creep`, { timeout: (SECONDS + 120) * 1000 }, async () => {
  const tally: Tally = { requests: 0, serverErrors: [], unanswered: [], hangUps: 0, byKind: {} };
  const pushed: Pushed[] = [];
  const deadline = Date.now() + SECONDS * 1000;
  const warmUpEnds = Date.now() + (SECONDS * 1000) / 4;

  // Seed one image so pulls have something from the start.
  pushed.push(await pushImage(tally, operator, REPOS[0]!, "seed", 64 * 1024));

  const samples: { at: number; rss: number; pids: string }[] = [];
  const sampler = (async () => {
    while (Date.now() < deadline) {
      const tree = await processTree(registry.process.pid!);
      samples.push({ at: Date.now(), rss: await rssOf(tree), pids: tree.slice().sort().join(",") });
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();

  const clients = Array.from({ length: CLIENTS }, async (_, client) => {
    const bearers = new Map<string, string>();
    let round = 0;
    while (Date.now() < deadline) {
      round++;
      const kind = pick(round + client);
      tally.byKind[kind] = (tally.byKind[kind] ?? 0) + 1;
      const repo = REPOS[(client + round) % REPOS.length]!;
      switch (kind) {
        case "token": {
          const token = await fetchToken(tally, repo);
          if (token) bearers.set(repo, token);
          break;
        }
        case "push": {
          const bearer = bearers.get(repo);
          const auth = bearer && Math.random() < 0.5 ? `Bearer ${bearer}` : operator;
          pushed.push(await pushImage(tally, auth, repo, `c${client}-r${round}`, sizeOf()));
          break;
        }
        case "chunked":
          await chunkedPush(tally, repo, sizeOf());
          break;
        case "pull": {
          const image = pushed[Math.floor(Math.random() * pushed.length)]!;
          await pullImage(tally, image);
          break;
        }
        case "hang-up-upload":
          await hangUpMidUpload(tally, repo);
          break;
        case "hang-up-download": {
          const image = pushed[Math.floor(Math.random() * pushed.length)]!;
          await hangUpMidDownload(tally, image);
          break;
        }
        case "oversized-form":
          await oversizedForm(tally);
          break;
        case "list":
          // The seeded repository: the others may not exist yet when a client first lists them.
          await expectOk(tally, "tags", `/v2/${REPOS[0]}/tags/list`, { headers: { Authorization: operator } });
          break;
      }
    }
  });
  await Promise.all(clients);
  await sampler;

  assert.equal(tally.serverErrors.length, 0, `no request may end in a 5xx; ${tally.serverErrors.length}, the first: ${tally.serverErrors.slice(0, 5).join("\n")}`);
  assert.equal(tally.unanswered.length, 0, `every request not hung up on gets an answer; ${tally.unanswered.length} did not, the first: ${tally.unanswered.slice(0, 5).join("\n")}`);
  assert.ok(tally.requests > SECONDS * 5, `a soak worth the name: only ${tally.requests} requests`);
  assert.ok(tally.hangUps > 0, "some clients hung up mid-body");

  const warm = samples.filter((s) => s.at <= warmUpEnds);
  const late = samples.filter((s) => s.at >= deadline - 10_000);
  assert.ok(warm.length > 0 && late.length > 0, "memory was sampled during warm-up and at the end");
  const pidsAfterWarmUp = warm[warm.length - 1]!.pids;
  for (const s of samples.filter((x) => x.at > warmUpEnds)) {
    assert.equal(s.pids, pidsAfterWarmUp, "no serving process died or was replaced");
  }
  assert.doesNotMatch(registry.output(), /worker died|uncaught|unhandled/i);
  const warmRss = median(warm.slice(-5).map((s) => s.rss));
  const lateRss = median(late.map((s) => s.rss));
  assert.ok(lateRss <= warmRss * 1.2, `RSS grew from ${mib(warmRss)} after warm-up to ${mib(lateRss)} MiB at the end`);
  console.log(
    `soak: ${tally.requests} requests, ${tally.hangUps} hang-ups, ${JSON.stringify(tally.byKind)}; RSS ${mib(warmRss)} → ${mib(lateRss)} MiB`,
  );
});

const KINDS = ["token", "push", "push", "chunked", "pull", "pull", "pull", "hang-up-upload", "hang-up-download", "oversized-form", "list"];
function pick(seed: number): string {
  return KINDS[(seed * 7 + Math.floor(Math.random() * KINDS.length)) % KINDS.length]!;
}

/** Mostly small layers, some of a few MiB. */
function sizeOf(): number {
  return Math.random() < 0.1 ? 2 * 1024 * 1024 + Math.floor(Math.random() * 1024 * 1024) : 1024 + Math.floor(Math.random() * 256 * 1024);
}

function sha256(data: Buffer): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

async function request(tally: Tally, what: string, path: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: Buffer } | undefined> {
  tally.requests++;
  try {
    const res = await fetch(`${registry.url}${path}`, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const body = Buffer.from(await res.arrayBuffer());
    if (res.status >= 500) tally.serverErrors.push(`${what} ${init.method ?? "GET"} ${path}: ${res.status} ${body.toString().slice(0, 200)}`);
    return { status: res.status, headers: res.headers, body };
  } catch (err) {
    tally.unanswered.push(`${what} ${init.method ?? "GET"} ${path}: ${(err as Error).message} ${String((err as { cause?: unknown }).cause ?? "")}`);
    return undefined;
  }
}

async function expectOk(tally: Tally, what: string, path: string, init: RequestInit = {}) {
  const res = await request(tally, what, path, init);
  if (res && res.status >= 300) tally.serverErrors.push(`${what}: unexpected ${res.status} ${res.body.toString().slice(0, 200)}`);
  return res;
}

async function fetchToken(tally: Tally, repo: string): Promise<string | undefined> {
  const res = await expectOk(tally, "token", `/auth/token?service=berth&scope=repository:${repo}:pull,push`, { headers: { Authorization: operator } });
  return res ? (JSON.parse(res.body.toString()) as { token: string }).token : undefined;
}

async function pushImage(tally: Tally, auth: string, repo: string, tag: string, size: number): Promise<Pushed> {
  const layer = randomBytes(size);
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] }, tag }));
  for (const blob of [layer, config]) {
    await expectOk(tally, "blob push", `/v2/${repo}/blobs/uploads/?digest=${sha256(blob)}`, { method: "POST", headers: { Authorization: auth }, body: blob });
  }
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha256(config), size: config.length },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: sha256(layer), size: layer.length }],
  });
  await expectOk(tally, "manifest push", `/v2/${repo}/manifests/${tag}`, {
    method: "PUT",
    headers: { Authorization: auth, "Content-Type": OCI_MANIFEST },
    body: manifest,
  });
  return { repo, tag, layer: sha256(layer), layerSize: layer.length };
}

async function chunkedPush(tally: Tally, repo: string, size: number): Promise<void> {
  const data = randomBytes(size);
  const half = Math.floor(size / 2);
  const started = await expectOk(tally, "chunked start", `/v2/${repo}/blobs/uploads/`, { method: "POST", headers: { Authorization: operator } });
  let location = started?.headers.get("location");
  for (const [start, end] of [
    [0, half],
    [half, size],
  ] as const) {
    if (!location) return;
    const res = await expectOk(tally, "chunk", location, {
      method: "PATCH",
      headers: { Authorization: operator, "Content-Type": "application/octet-stream", "Content-Range": `${start}-${end - 1}` },
      body: data.subarray(start, end),
    });
    location = res?.headers.get("location");
  }
  if (!location) return;
  const sep = location.includes("?") ? "&" : "?";
  await expectOk(tally, "chunked commit", `${location}${sep}digest=${sha256(data)}`, { method: "PUT", headers: { Authorization: operator } });
}

async function pullImage(tally: Tally, image: Pushed): Promise<void> {
  const manifest = await expectOk(tally, "manifest pull", `/v2/${image.repo}/manifests/${image.tag}`, {
    headers: { Authorization: operator, Accept: OCI_MANIFEST },
  });
  if (!manifest) return;
  const ranged = Math.random() < 0.3;
  const res = await expectOk(tally, "blob pull", `/v2/${image.repo}/blobs/${image.layer}`, {
    headers: { Authorization: operator, ...(ranged ? { Range: "bytes=0-99" } : {}) },
  });
  if (res && !ranged && sha256(res.body) !== image.layer) tally.serverErrors.push(`blob pull: ${image.layer} came back with other bytes`);
}

/** Sends the headers and part of a large body, then drops the connection. */
async function hangUpMidUpload(tally: Tally, repo: string): Promise<void> {
  const started = await expectOk(tally, "hang-up start", `/v2/${repo}/blobs/uploads/`, { method: "POST", headers: { Authorization: operator } });
  const location = started?.headers.get("location");
  if (!location) return;
  const total = 4 * 1024 * 1024;
  await new Promise<void>((resolve) => {
    const url = new URL(location, registry.url);
    const req = http.request({
      host: url.hostname,
      port: url.port,
      method: "PATCH",
      path: url.pathname + url.search,
      headers: { Authorization: operator, "Content-Type": "application/octet-stream", "Content-Length": String(total), "Content-Range": `0-${total - 1}` },
    });
    req.on("error", () => resolve());
    req.on("response", (res) => {
      res.resume();
      res.on("end", resolve);
    });
    req.write(randomBytes(256 * 1024 + Math.floor(Math.random() * 1024 * 1024)), () => {
      setTimeout(() => {
        req.destroy();
        resolve();
      }, Math.random() * 50);
    });
  });
  tally.hangUps++;
}

/** Starts a blob download and drops the connection after the first bytes. */
async function hangUpMidDownload(tally: Tally, image: Pushed): Promise<void> {
  await new Promise<void>((resolve) => {
    const url = new URL(`/v2/${image.repo}/blobs/${image.layer}`, registry.url);
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, headers: { Authorization: operator } });
    req.on("error", () => resolve());
    req.on("response", (res) => {
      if ((res.statusCode ?? 0) >= 500) tally.serverErrors.push(`hang-up download: ${res.statusCode}`);
      res.once("data", () => {
        req.destroy();
        resolve();
      });
      res.on("end", resolve);
    });
    req.end();
  });
  tally.requests++;
  tally.hangUps++;
}

/** The first hardening finding: a form over the token endpoint's limit must be refused, not crash. */
async function oversizedForm(tally: Tally): Promise<void> {
  const res = await request(tally, "oversized form", "/auth/token", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: `grant_type=password&username=x&password=${"a".repeat(70_000)}`,
  });
  if (res && (res.status < 400 || res.status >= 500)) tally.serverErrors.push(`oversized form: ${res.status}`);
}

/** The registry's process and its descendants (the serving processes). */
async function processTree(root: number): Promise<number[]> {
  const out = [root];
  for (let i = 0; i < out.length; i++) {
    const pid = out[i]!;
    for (const task of await readdir(`/proc/${pid}/task`).catch(() => [] as string[])) {
      const children = await readFile(`/proc/${pid}/task/${task}/children`, "utf8").catch(() => "");
      for (const c of children.split(" ").filter(Boolean)) out.push(Number(c));
    }
  }
  return out;
}

async function rssOf(pids: number[]): Promise<number> {
  let total = 0;
  for (const pid of pids) {
    const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
    const kib = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    if (kib) total += Number(kib) * 1024;
  }
  return total;
}

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function mib(bytes: number): string {
  return (bytes / 1048576).toFixed(0);
}

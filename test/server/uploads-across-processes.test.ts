// One upload session spread over two separately started `berth serve` processes that share only
// their data directory (the storage and the metadata database): no IPC between them. Each chunk
// continues where the last one, served by the other process, stopped: the hash state and the
// size come from the upload's row. The commit verifies without reading the upload back, and a
// process killed (-9) between two chunks loses nothing.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startRegistry, type RunningRegistry } from "../helpers/registry.js";

const MiB = 1024 * 1024;
let root: string;
const running: RunningRegistry[] = [];

/** A `berth serve` of its own (a supervisor and one serving process) on the shared data directory. */
async function node(): Promise<RunningRegistry> {
  const registry = await startRegistry({ root, env: { BERTH_HTTP_WORKERS: "1", BERTH_LOG_LEVEL: "debug" } });
  running.push(registry);
  return registry;
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), "berth-two-nodes-"));
});

after(async () => {
  for (const r of running) await r.close();
  await rm(root, { recursive: true, force: true });
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function send(base: string, method: string, path: string, body?: Buffer, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, base), { method, agent: false, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** PATCHes `chunk` at `offset` through `node`; returns the next Location. */
async function patch(node: RunningRegistry, location: string, chunk: Buffer, offset: number): Promise<string> {
  const r = await send(node.url, "PATCH", location, chunk, {
    "Content-Type": "application/octet-stream",
    "Content-Length": String(chunk.length),
    "Content-Range": `${offset}-${offset + chunk.length - 1}`,
  });
  assert.equal(r.status, 202, r.body.toString());
  assert.equal(r.headers.range, `0-${offset + chunk.length - 1}`);
  return r.headers.location as string;
}

async function commit(node: RunningRegistry, location: string, whole: Buffer): Promise<void> {
  const sep = location.includes("?") ? "&" : "?";
  const done = await send(node.url, "PUT", `${location}${sep}digest=${sha256(whole)}`);
  assert.equal(done.status, 201, done.body.toString());
  assert.equal(done.headers["docker-content-digest"], sha256(whole));
}

async function assertStored(nodes: RunningRegistry[], repo: string, whole: Buffer): Promise<void> {
  for (const n of nodes) {
    const got = await send(n.url, "GET", `/v2/${repo}/blobs/${sha256(whole)}`);
    assert.equal(got.status, 200);
    assert.ok(got.body.equals(whole), `${n.url} serves the pushed bytes`);
  }
}

/**
 * Kills a node hard: its supervisor and its serving process, both with SIGKILL (the serving
 * process would otherwise stop gracefully once its supervisor is gone).
 */
async function killNode(n: RunningRegistry): Promise<void> {
  const workers = childrenOf(n.process.pid!);
  assert.ok(workers.length > 0, "the supervisor has a serving process");
  const exited = new Promise((resolve) => n.process.once("exit", resolve));
  n.process.kill("SIGKILL");
  for (const pid of workers) process.kill(pid, "SIGKILL");
  await exited;
  const deadline = Date.now() + 5000;
  while (workers.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.ok(!workers.some(alive), "the serving process is gone");
}

/** The processes whose parent is `pid`, from /proc (field 4 of `stat`, after the command's parenthesis). */
function childrenOf(pid: number): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        const stat = readFileSync(`/proc/${name}/stat`, "utf8");
        return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid;
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("an upload session spread over two separately started processes", () => {
  let a: RunningRegistry;
  let b: RunningRegistry;

  before(async () => {
    a = await node();
    b = await node();
  });

  it("chunks alternate between them; the commit has the right digest and reads nothing back", async () => {
    // Odd sizes, some past the 1 MiB at which the filesystem switches to direct I/O.
    const chunks = [3 * MiB + 5, 17, 2 * MiB - 1, 64 * 1024, 4 * MiB + 4095, 1].map((n) => randomBytes(n));
    const whole = Buffer.concat(chunks);
    const started = await send(a.url, "POST", "/v2/spread/app/blobs/uploads/");
    assert.equal(started.status, 202);
    let location = started.headers.location as string;
    let offset = 0;
    for (const [i, chunk] of chunks.entries()) {
      location = await patch(i % 2 === 0 ? b : a, location, chunk, offset);
      offset += chunk.length;
      // Either process reports the session's progress.
      const status = await send((i % 2 === 0 ? a : b).url, "GET", location);
      assert.equal(status.status, 204);
      assert.equal(status.headers.range, `0-${offset - 1}`);
    }
    await commit(a, location, whole);
    await assertStored([a, b], "spread/app", whole);
    for (const n of [a, b]) assert.doesNotMatch(n.output(), /re-reading/, "a commit read its upload back");
  });

  it("a sha512 digest of a chunked upload is the one commit that reads the bytes (and says so)", async () => {
    const chunks = [MiB + 3, 5].map((n) => randomBytes(n));
    const whole = Buffer.concat(chunks);
    const started = await send(b.url, "POST", "/v2/spread/sha512/blobs/uploads/");
    let location = await patch(a, started.headers.location as string, chunks[0]!, 0);
    location = await patch(b, location, chunks[1]!, chunks[0]!.length);
    const digest = `sha512:${createHash("sha512").update(whole).digest("hex")}`;
    const sep = location.includes("?") ? "&" : "?";
    const done = await send(a.url, "PUT", `${location}${sep}digest=${digest}`);
    assert.equal(done.status, 201, done.body.toString());
    const got = await send(b.url, "GET", `/v2/spread/sha512/blobs/${digest}`);
    assert.ok(got.body.equals(whole));
    assert.match(a.output(), /re-reading/, "the log names the reading that the other tests rule out");
  });

  it("a process killed (-9) between two chunks: the other continues the upload and commits it", async () => {
    const chunks = [2 * MiB + 3, MiB + 1, 3 * MiB].map((n) => randomBytes(n));
    const whole = Buffer.concat(chunks);
    const started = await send(a.url, "POST", "/v2/spread/killed/blobs/uploads/");
    let location = started.headers.location as string;
    location = await patch(a, location, chunks[0]!, 0);
    location = await patch(a, location, chunks[1]!, chunks[0]!.length);
    await killNode(a);
    location = await patch(b, location, chunks[2]!, chunks[0]!.length + chunks[1]!.length);
    await commit(b, location, whole);
    await assertStored([b], "spread/killed", whole);
    assert.doesNotMatch(b.output(), /re-reading/);
  });
});

// A request body refused partway (too large for the token form, a manifest or an admin API
// document; a disk that fills up) used to end the serving process: the refusal destroyed the request
// under its answer, and the error path then read a socket that was gone. Each is now answered (413,
// or 507 for a full disk, with the error envelope and `Connection: close`), the connection closed,
// and no serving process dies, even with one worker.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startRegistry, type RunningRegistry } from "../helpers/registry.js";
import { basic, startAuthRegistry, type AuthRegistry } from "../iam/support.js";
import { childrenOf, rawExchange, type RawAnswer } from "./support.js";

let registry: AuthRegistry;
let workers: number[];

before(async () => {
  registry = await startAuthRegistry({ BERTH_HTTP_WORKERS: "1" });
  workers = childrenOf(registry.process.pid!);
  assert.equal(workers.length, 1);
});

after(async () => {
  await registry?.close();
});

function assertRefused(answer: RawAnswer, status: number, code: string): void {
  assert.equal(answer.status, status, answer.body);
  assert.equal(answer.headers["connection"], "close");
  assert.match(answer.headers["content-type"] ?? "", /^application\/json/);
  assert.equal(JSON.parse(answer.body).errors[0].code, code);
  assert.ok(answer.closed, "the server closes the connection after answering");
}

function assertNothingDied(r: RunningRegistry, before: number[]): void {
  assert.deepEqual(childrenOf(r.process.pid!), before, "the serving process is the same one");
  assert.doesNotMatch(r.output(), /worker died|TypeError|uncaught/);
}

const form = "POST /auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded";

describe("refused request bodies", () => {
  it("a 70,000-byte token form with Content-Length gets 413 and the process lives", async () => {
    const answer = await rawExchange(registry.host, { head: form, body: Buffer.alloc(70_000, "a") });
    assertRefused(answer, 413, "SIZE_INVALID");
    assertNothingDied(registry, workers);
  });

  it("the same form sent chunked gets 413 and the process lives", async () => {
    const answer = await rawExchange(registry.host, { head: form, body: Buffer.alloc(70_000, "a"), chunked: true });
    assertRefused(answer, 413, "SIZE_INVALID");
    assertNothingDied(registry, workers);
  });

  it("a chunked manifest PUT over 4 MiB gets 413 and the process lives", async () => {
    const auth = basic("berth/admin", registry.operatorToken);
    const answer = await rawExchange(registry.host, {
      head: `PUT /v2/berth/app/manifests/v1 HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Type: application/vnd.oci.image.manifest.v1+json`,
      body: Buffer.alloc(5 * 1024 * 1024, " "),
      chunked: true,
    });
    assertRefused(answer, 413, "SIZE_INVALID");
    assertNothingDied(registry, workers);
  });

  it("an admin API document over its limit gets 413 and the process lives", async () => {
    const auth = basic("berth/admin", registry.operatorToken);
    const document = Buffer.from(JSON.stringify({ namespace: "big", description: "x".repeat(300 * 1024) }));
    for (const chunked of [false, true]) {
      const answer = await rawExchange(registry.host, {
        head: `POST /api/v1/tenancies HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Type: application/json`,
        body: document,
        chunked,
      });
      assertRefused(answer, 413, "SIZE_INVALID");
    }
    assertNothingDied(registry, workers);
  });

  it("still serves after all of them, on a connection of its own", async () => {
    const res = await fetch(`${registry.url}/v2/`);
    assert.equal(res.status, 401);
    await res.arrayBuffer();
    assertNothingDied(registry, workers);
  });
});

describe("a push that runs out of disk", () => {
  let root: string | undefined;
  let full: RunningRegistry | undefined;

  before(async () => {
    if (process.getuid?.() !== 0) return;
    root = await mkdtemp(join(tmpdir(), "berth-full-"));
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=6m", "tmpfs", root]);
    } catch {
      await rm(root, { recursive: true, force: true });
      root = undefined;
      return;
    }
    full = await startRegistry({ root, args: ["--workers", "1"] });
  });

  after(async () => {
    await full?.close();
    if (root) {
      execFileSync("umount", [root]);
      await rm(root, { recursive: true, force: true });
    }
  });

  it("is answered 507 and the process lives", async (t) => {
    if (!full) return t.skip("needs root to mount a small tmpfs");
    const pids = childrenOf(full.process.pid!);
    const blob = randomBytes(16 * 1024 * 1024);
    const digest = `sha256:${createHash("sha256").update(blob).digest("hex")}`;
    const answer = await rawExchange(full.host, { head: `POST /v2/ns/app/blobs/uploads/?digest=${digest} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream`, body: blob });
    assertRefused(answer, 507, "UNKNOWN");
    assertNothingDied(full, pids);
    const res = await fetch(`${full.url}/v2/`);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  });
});

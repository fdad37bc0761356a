// Chunked uploads whose every request comes on a new connection, as a client without keep-alive
// sends them, so that the kernel spreads a session's requests over the serving processes. Every
// session must commit exactly its bytes, and none may be re-read at its commit: the process that
// opened the session keeps its running hash and answers the digest to the process that commits
// (src/registry/uploads.ts, src/server/peer-link.ts).
import assert from "node:assert/strict";
import { createHash, randomBytes, randomInt } from "node:crypto";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import { startRegistry, type RunningRegistry } from "../helpers/registry.js";

let registry: RunningRegistry;

before(async () => {
  registry = await startRegistry({ env: { BERTH_HTTP_WORKERS: "3", BERTH_LOG_LEVEL: "debug" } });
  // The first worker listens first; the others join a moment later.
  const deadline = Date.now() + 20_000;
  while (!registry.output().includes("started workers") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
});

after(async () => {
  await registry?.close();
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One request on a connection of its own. */
function once(method: string, path: string, body?: Buffer, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, registry.url), { method, agent: false, headers }, (res) => {
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
const octet = (length: number, extra: Record<string, string> = {}) => ({
  "Content-Type": "application/octet-stream",
  "Content-Length": String(length),
  ...extra,
});

interface Session {
  /** X-Request-Id of the POST that opened it */
  opened: string;
  /** X-Request-Id of the PUT that committed it */
  committed: string;
}

/** Pushes `chunks` as one session: POST, a PATCH each but the last, PUT with the last. */
async function pushChunked(repo: string, chunks: Buffer[]): Promise<Session> {
  const whole = Buffer.concat(chunks);
  const started = await once("POST", `/v2/${repo}/blobs/uploads/`);
  assert.equal(started.status, 202);
  let location = started.headers.location as string;
  let offset = 0;
  for (const chunk of chunks.slice(0, -1)) {
    const r = await once("PATCH", location, chunk, octet(chunk.length, { "Content-Range": `${offset}-${offset + chunk.length - 1}` }));
    assert.equal(r.status, 202, r.body.toString());
    offset += chunk.length;
    location = r.headers.location as string;
  }
  const last = chunks[chunks.length - 1]!;
  const sep = location.includes("?") ? "&" : "?";
  const done = await once("PUT", `${location}${sep}digest=${sha256(whole)}`, last, octet(last.length));
  assert.equal(done.status, 201, done.body.toString());
  assert.equal(done.headers["docker-content-digest"], sha256(whole));
  const got = await once("GET", `/v2/${repo}/blobs/${sha256(whole)}`);
  assert.equal(got.status, 200);
  assert.ok(got.body.equals(whole), "the stored blob is the pushed bytes");
  return { opened: started.headers["x-request-id"] as string, committed: done.headers["x-request-id"] as string };
}

/** Which process served request `id`, from the access log. */
function workerOf(id: string): number | undefined {
  const line = registry
    .output()
    .split("\n")
    .find((l) => l.includes('"msg":"request"') && l.includes(`"req":"${id}"`));
  return line === undefined ? undefined : (JSON.parse(line) as { worker: number }).worker;
}

describe("an upload session spread over the serving processes", () => {
  it("commits the right bytes without re-reading them, wherever its requests land", async () => {
    const served: [number | undefined, number | undefined][] = [];
    const elsewhere = () => served.filter(([opener, committer]) => opener !== committer).length;
    // Three sessions at a time (an idle machine tends to give new connections to one process),
    // until a few were committed away from the process that opened them.
    for (let round = 0; round < 12 && (round < 4 || elsewhere() < 3); round++) {
      const pushes = Array.from({ length: 3 }, (_, i) =>
        pushChunked(`spread/app${i}`, Array.from({ length: 6 }, () => randomBytes(randomInt(1, 300_000)))),
      );
      const sessions = await Promise.all(pushes);
      // Give the access-log lines a moment to reach the output.
      await new Promise((resolve) => setTimeout(resolve, 100));
      served.push(...sessions.map((s): [number | undefined, number | undefined] => [workerOf(s.opened), workerOf(s.committed)]));
    }
    for (const [opener, committer] of served) assert.ok(opener !== undefined && committer !== undefined, registry.output());
    assert.ok(elsewhere() > 0, `every session was committed where it was opened: ${JSON.stringify(served)}`);
    assert.doesNotMatch(registry.output(), /re-reading it/, "a commit re-read its upload");
  });
});

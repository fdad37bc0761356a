// The server as an operator runs it: abandoned uploads expire, interrupted uploads leave no
// blob, HTTPS with a given certificate, a bad configuration stops start-up naming the key, and no
// connection is left unanswered while the workers start.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readdir, readFile, rm, mkdtemp } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, it } from "node:test";
import { BERTH_MAIN, startRegistry } from "../helpers/registry.js";
import { needTools } from "../helpers/tools.js";
import { processesWithEnvironment } from "./support.js";

const exec = promisify(execFile);
const sha256 = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

describe("server lifecycle", () => {
  it("purges upload sessions nobody touched within the configured age", async () => {
    const registry = await startRegistry({
      env: { BERTH_STORAGE_MAINTENANCE_UPLOADPURGING_AGE: "1s", BERTH_STORAGE_MAINTENANCE_UPLOADPURGING_INTERVAL: "500ms" },
    });
    try {
      const started = await fetch(`${registry.url}/v2/ns/app/blobs/uploads/`, { method: "POST" });
      assert.equal(started.status, 202);
      const location = new URL(started.headers.get("location")!, registry.url).href;
      await fetch(location, { method: "PATCH", body: randomBytes(1000) });
      assert.equal((await readdir(join(registry.root, "uploads"))).length, 1);
      await new Promise((r) => setTimeout(r, 2500));
      const status = await fetch(location);
      assert.equal(status.status, 404);
      assert.equal(((await status.json()) as { errors: { code: string }[] }).errors[0]!.code, "BLOB_UPLOAD_UNKNOWN");
      assert.deepEqual(await readdir(join(registry.root, "uploads")), []);
    } finally {
      await registry.close();
    }
  });

  it("an upload cut off mid-body leaves no blob behind", async () => {
    const registry = await startRegistry();
    try {
      const blob = randomBytes(4 * 1024 * 1024);
      const digest = sha256(blob);
      await new Promise<void>((resolve) => {
        const req = httpRequest(`${registry.url}/v2/ns/app/blobs/uploads/?digest=${digest}`, {
          method: "POST",
          headers: { "Content-Length": blob.length, "Content-Type": "application/octet-stream" },
        });
        req.on("error", () => resolve());
        req.write(blob.subarray(0, 1024 * 1024), () => setTimeout(() => req.destroy(), 100));
        req.on("close", () => resolve());
      });
      await new Promise((r) => setTimeout(r, 300));
      assert.equal((await fetch(`${registry.url}/v2/ns/app/blobs/${digest}`, { method: "HEAD" })).status, 404);
      const blobsDir = join(registry.root, "blobs", "sha256");
      const stored = await readdir(blobsDir).catch(() => [] as string[]);
      assert.deepEqual(stored, [], "no blob file was created");
      // The server is still healthy and takes the whole blob afterwards.
      const whole = await fetch(`${registry.url}/v2/ns/app/blobs/uploads/?digest=${digest}`, { method: "POST", body: blob });
      assert.equal(whole.status, 201);
    } finally {
      await registry.close();
    }
  });

  it("serves HTTPS with the given certificate and key", async (t) => {
    if (!needTools(t, "openssl")) return;
    const dir = await mkdtemp(join(tmpdir(), "berth-tls-"));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const cert = join(dir, "cert.pem");
    const key = join(dir, "key.pem");
    await exec("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]);
    const registry = await startRegistry({ args: ["--tls-cert", cert, "--tls-key", key], scheme: "https" });
    try {
      const ca = await readFile(cert);
      const reply = await new Promise<{ status: number; version: string | undefined }>((resolve, reject) => {
        httpsRequest(`${registry.url}/v2/`, { ca }, (res) => {
          res.resume();
          resolve({ status: res.statusCode!, version: res.headers["docker-distribution-api-version"] as string | undefined });
        })
          .on("error", reject)
          .end();
      });
      assert.deepEqual(reply, { status: 200, version: "registry/2.0" });
    } finally {
      await registry.close();
    }
  });

  it("refuses to start on a bad configuration and names the key", async () => {
    const result = await exec(process.execPath, [BERTH_MAIN, "serve", "--addr", "nowhere"], { env: { ...process.env } }).catch((e) => e);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /http\.addr: expected host:port \(e\.g\. 0\.0\.0\.0:5000\), got "nowhere"/);
    const env = { ...process.env, REGISTRY_STORAGE_DELETE_ENABLED: "maybe" };
    const second = await exec(process.execPath, [BERTH_MAIN, "serve"], { env }).catch((e) => e);
    assert.equal(second.code, 2);
    assert.match(second.stderr, /storage\.delete\.enabled/);
  });

  it("answers every connection while its other workers start", async () => {
    // A connection the kernel hands to a worker that is still starting must wait for it, not hang.
    const registry = await startRegistry({ env: { BERTH_HTTP_WORKERS: "4" } });
    try {
      const port = Number(new URL(registry.url).port);
      const replies: Promise<number | string>[] = [];
      const deadline = Date.now() + 20_000;
      while (!registry.output().includes("started workers") && Date.now() < deadline) {
        for (let i = 0; i < 4; i++) replies.push(getOnNewConnection(port, "/v2/"));
        await new Promise((r) => setTimeout(r, 2));
      }
      assert.ok(registry.output().includes("started workers"), registry.output());
      const statuses = await Promise.all(replies);
      assert.ok(statuses.length > 10, `only ${statuses.length} requests were made during start-up`);
      assert.deepEqual(
        statuses.filter((s) => s !== 200),
        [],
      );
    } finally {
      await registry.close();
    }
  });

  it("stopped while its other workers start, it stops them too before it exits", async () => {
    // The supervisor logs "listening" before it forks the other workers; a stop right then must not leave a
    // worker behind, still opening the database in a data directory its operator now removes.
    const root = await mkdtemp(join(tmpdir(), "berth-early-stop-"));
    const registry = await startRegistry({ root, env: { BERTH_HTTP_WORKERS: "4" } });
    await registry.close();
    const left = await processesWithEnvironment(root);
    await rm(root, { recursive: true, force: true });
    assert.deepEqual(left, [], `processes still running with ${root}:\n${registry.output()}`);
  });

  it("honours REGISTRY_STORAGE_DELETE_ENABLED=false", async () => {
    const registry = await startRegistry({ env: { REGISTRY_STORAGE_DELETE_ENABLED: "false" } });
    try {
      const blob = randomBytes(10);
      await fetch(`${registry.url}/v2/ns/app/blobs/uploads/?digest=${sha256(blob)}`, { method: "POST", body: blob });
      const res = await fetch(`${registry.url}/v2/ns/app/blobs/${sha256(blob)}`, { method: "DELETE" });
      assert.equal(res.status, 405);
      assert.equal(((await res.json()) as { errors: { code: string }[] }).errors[0]!.code, "UNSUPPORTED");
    } finally {
      await registry.close();
    }
  });
});

/** GET on a connection of its own; the status, or what went wrong within 10 s. */
function getOnNewConnection(port: number, path: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("timeout", () => req.destroy(new Error("no reply in 10 s")));
    req.on("error", (err) => resolve(err.message));
    req.end();
  });
}

// The access log of a real `berth serve`: one JSON line per request with what operators grep for,
// the client behind a trusted proxy, and nothing secret.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { startRegistry, type RunningRegistry } from "../helpers/registry.js";
import { Api, expectStatus } from "../protocol/support.js";
import { basic, OPERATOR, startAuthRegistry, type AuthRegistry } from "../iam/support.js";
import { accessLine } from "./support.js";

describe("access log", () => {
  let registry: RunningRegistry;
  let api: Api;
  before(async () => {
    registry = await startRegistry({ args: ["--workers", "1"], env: { BERTH_HTTP_TRUSTEDPROXIES: "127.0.0.1, 10.0.0.0/8" } });
    api = new Api(registry.url);
  });
  after(() => registry?.close());

  it("names the request, its repository, user, client, status, bytes, duration and agent", async () => {
    const reply = await api.get("/v2/team/app/manifests/latest?token=s3cret-in-query", {
      headers: { "User-Agent": "docker/27.0 go/go1.22", "X-Forwarded-For": "203.0.113.9, 10.1.2.3", Authorization: "Basic c2VjcmV0OnNlY3JldA==" },
    });
    expectStatus(reply, 404);
    const line = await accessLine(registry, reply.header("x-request-id")!);
    assert.equal(line.method, "GET");
    assert.equal(line.path, "/v2/team/app/manifests/latest", "the query is not logged");
    assert.equal(line.route, "manifest");
    assert.equal(line.repository, "team/app");
    assert.equal(line.status, 404);
    assert.equal(line.user, "anonymous");
    assert.equal(line.remote, "127.0.0.1");
    assert.equal(line.client, "203.0.113.9", "the right-most address that is not a trusted proxy");
    assert.equal(line.userAgent, "docker/27.0 go/go1.22");
    assert.equal(typeof line.ms, "number");
    assert.ok((line.bytesIn as number) > 100, `bytesIn ${line.bytesIn}`);
    assert.ok((line.bytesOut as number) > reply.body.length, `bytesOut ${line.bytesOut}`);
    assert.doesNotMatch(registry.output(), /s3cret-in-query|c2VjcmV0OnNlY3JldA==/, "no query string, no Authorization");
  });

  it("counts an upload's body in bytesIn and truncates long user agents", async () => {
    const blob = randomBytes(300_000);
    const started = await api.post("/v2/team/app/blobs/uploads/");
    expectStatus(started, 202);
    const patch = await api.patch(api.location(started), { body: blob, headers: { "User-Agent": "x".repeat(5000) } });
    expectStatus(patch, 202);
    const line = await accessLine(registry, patch.header("x-request-id")!);
    assert.equal(line.route, "blob_upload_chunk");
    assert.ok((line.bytesIn as number) >= blob.length && (line.bytesIn as number) < blob.length + 6_000, `bytesIn ${line.bytesIn}`);
    assert.equal((line.userAgent as string).length, 200);
  });

  it("ignores X-Forwarded-For that no trusted proxy vouches for", async () => {
    const reply = await api.get("/v2/", { headers: { "X-Forwarded-For": "not-an-address" } });
    expectStatus(reply, 200);
    const line = await accessLine(registry, reply.header("x-request-id")!);
    assert.equal(line.route, "base");
    assert.equal(line.client, undefined);
    assert.equal(line.repository, undefined);
  });

  it("logs health checks and scrapes only when they fail", async () => {
    const ids: string[] = [];
    for (const path of ["/healthz", "/readyz", "/metrics"]) {
      const res = await fetch(`${registry.url}${path}`);
      assert.equal(res.status, 200, path);
      ids.push(res.headers.get("x-request-id")!);
    }
    const refused = await fetch(`${registry.url}/metrics`, { method: "POST" });
    assert.equal(refused.status, 405);
    const line = await accessLine(registry, refused.headers.get("x-request-id")!);
    assert.equal(line.route, "metrics");
    for (const id of ids) assert.ok(!registry.output().includes(id), "an answered probe is not logged");
  });
});

describe("access log with auth on", () => {
  let registry: AuthRegistry;
  before(async () => {
    registry = await startAuthRegistry({ BERTH_HTTP_WORKERS: "1" });
  });
  after(() => registry?.close());

  it("names the user of token and admin API requests too", async () => {
    const authorization = basic(OPERATOR, registry.operatorToken);
    for (const path of ["/auth/token?service=berth&scope=registry:catalog:*", "/api/v1/whoami"]) {
      const reply = await fetch(`${registry.url}${path}`, { headers: { Authorization: authorization } });
      assert.equal(reply.status, 200, path);
      await reply.arrayBuffer();
      const line = await accessLine(registry, reply.headers.get("x-request-id")!);
      assert.equal(line.user, OPERATOR, path);
    }
  });
});

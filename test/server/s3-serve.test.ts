// `berth serve` with `storage.driver: s3` on a real RADOS Gateway: pushes and pulls over HTTP,
// presigned redirects, a wrong secret at start-up, and a gateway that goes away while serving.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it, test } from "node:test";
import { tcpRelay } from "../helpers/tcp-relay.js";
import { s3StorageEnv, startRegistry, type RunningRegistry } from "../helpers/registry.js";
import { Api, expectError, expectStatus, pushBlob, randomBytes, sha256 } from "../protocol/support.js";
import { createBucket, gatewayOrSkip, MiB, openUploads, rawClient, rawKeys, removeBucket } from "../storage/s3-support.js";

const s3 = await gatewayOrSkip();

if (!s3) {
  test("berth serve on S3", { skip: "Ceph (radosgw) is not installed and BERTH_TEST_S3_ENDPOINT is not set" }, () => {});
} else {
  const bucket = await createBucket(s3);
  const running: RunningRegistry[] = [];
  const raw = rawClient(s3);
  after(async () => {
    for (const r of running) await r.close();
    raw.destroy();
    await removeBucket(s3, bucket);
    await s3.stop();
  });
  /** Berth's environment for this bucket, with `over` on top. */
  const s3Env = (over: Record<string, string> = {}) => ({ ...s3StorageEnv(s3, bucket), ...over });
  const start = async (env: Record<string, string>) => {
    const r = await startRegistry({ env });
    running.push(r);
    return r;
  };

  describe("berth serve on S3", () => {
    it("pushes monolithic and chunked blobs into the bucket and serves them back", async () => {
      const r = await start(s3Env());
      const api = new Api(r.url);
      const small = randomBytes(1000);
      const smallDigest = await pushBlob(api, "s3/app", small);
      // A chunked push whose PATCHes cross a part boundary, as docker and containerd send them.
      const big = randomBytes(11 * MiB + 5);
      const digest = sha256(big);
      const post = await api.post("/v2/s3/app/blobs/uploads/");
      expectStatus(post, 202);
      let location = api.location(post);
      for (let at = 0; at < big.length; at += 2 * MiB) {
        const chunk = big.subarray(at, at + 2 * MiB);
        const patch = await api.patch(location, {
          headers: { "Content-Type": "application/octet-stream", "Content-Range": `${at}-${at + chunk.length - 1}` },
          body: chunk,
        });
        expectStatus(patch, 202, `PATCH at ${at}`);
        location = api.location(patch);
      }
      expectStatus(await api.put(location, { query: { digest } }), 201);
      const got = await api.get(`/v2/s3/app/blobs/${digest}`);
      expectStatus(got, 200);
      assert.ok(got.body.equals(big));
      const ranged = await api.get(`/v2/s3/app/blobs/${digest}`, { headers: { Range: "bytes=5242870-5242900" } });
      expectStatus(ranged, 206);
      assert.ok(ranged.body.equals(big.subarray(5242870, 5242901)));
      assert.ok((await api.get(`/v2/s3/app/blobs/${smallDigest}`)).body.equals(small));
      const keys = await rawKeys(raw, bucket, "registry/");
      for (const d of [digest, smallDigest]) {
        const hex = d.slice("sha256:".length);
        assert.ok(keys.includes(`registry/blobs/sha256/${hex.slice(0, 2)}/${hex}`), `${d} is stored content-addressed: ${keys.join(", ")}`);
      }
      assert.deepEqual(keys.filter((k) => k.includes("/.writers/") || k.includes("/uploads/")), [], "nothing of the uploads is left");
      assert.deepEqual(await openUploads(raw, bucket, "registry/"), []);
    });

    it("an upload survives the loss (kill -9) of the process that took its chunks", async () => {
      // Two `berth serve` sharing only the metadata database's folder and the bucket: the bytes
      // acknowledged by the first are in the bucket, not in its memory or on its disk.
      const root = await mkdtemp(join(tmpdir(), "berth-s3-nodes-"));
      try {
        const [a, b] = [await startRegistry({ root, env: { ...s3Env(), BERTH_HTTP_WORKERS: "1" } }), await startRegistry({ root, env: { ...s3Env(), BERTH_HTTP_WORKERS: "1" } })];
        running.push(a, b);
        const data = randomBytes(8 * MiB + 99);
        const cut = 7 * MiB + 3; // past the first part, and into the second
        const apiA = new Api(a.url);
        const post = await apiA.post("/v2/s3/nodes/blobs/uploads/");
        expectStatus(post, 202);
        const patched = await apiA.patch(apiA.location(post), {
          headers: { "Content-Type": "application/octet-stream", "Content-Range": `0-${cut - 1}` },
          body: data.subarray(0, cut),
        });
        expectStatus(patched, 202);
        const path = new URL(apiA.location(patched)).pathname + new URL(apiA.location(patched)).search;
        const killed = new Promise((r) => a.process.once("exit", r));
        a.process.kill("SIGKILL");
        await killed;
        const apiB = new Api(b.url);
        const rest = await apiB.patch(path, {
          headers: { "Content-Type": "application/octet-stream", "Content-Range": `${cut}-${data.length - 1}` },
          body: data.subarray(cut),
        });
        expectStatus(rest, 202);
        const digest = sha256(data);
        expectStatus(await apiB.put(apiB.location(rest), { query: { digest } }), 201);
        assert.ok((await apiB.get(`/v2/s3/nodes/blobs/${digest}`)).body.equals(data));
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    });

    it("redirects blob GETs to a presigned URL with storage.redirect.disable false", async () => {
      const r = await start(s3Env({ REGISTRY_STORAGE_REDIRECT_DISABLE: "false", REGISTRY_STORAGE_REDIRECT_EXPIRY: "2m" }));
      const data = randomBytes(300_000);
      const api = new Api(r.url);
      const digest = await pushBlob(api, "s3/redirect", data);
      const res = await fetch(`${r.url}/v2/s3/redirect/blobs/${digest}`, { redirect: "manual" });
      assert.equal(res.status, 307);
      const location = res.headers.get("location")!;
      assert.ok(location.startsWith(`${s3.endpoint}/${bucket}/registry/blobs/sha256/`), location);
      assert.match(location, /X-Amz-Expires=120/);
      const followed = await api.get(`/v2/s3/redirect/blobs/${digest}`);
      expectStatus(followed, 200);
      assert.ok(followed.body.equals(data));
      // A blob the repository does not link is unknown, never a URL.
      expectError(await api.get(`/v2/s3/other/blobs/${digest}`), 404, "BLOB_UNKNOWN");
      expectStatus(await api.head(`/v2/s3/redirect/blobs/${digest}`), 200);
    });

    it("a wrong secret stops start-up with one line naming the key and endpoint, never the secret", async () => {
      const secret = `wrong-${sha256("x").slice(7, 30)}`;
      await assert.rejects(startRegistry({ env: s3Env({ REGISTRY_STORAGE_S3_SECRETKEY: secret }) }), (err: Error) => {
        const line = err.message.split("\n").find((l) => l.startsWith("berth: "));
        assert.ok(line, err.message);
        assert.match(line, new RegExp(`bucket "${bucket}" at ${s3.endpoint.replace(/[.:/]/g, "\\$&")} refused access key ${s3.accessKey}`));
        assert.ok(!err.message.includes(secret), "the output never holds the secret");
        assert.ok(!/\n\s+at /.test(err.message), "a message, not a stack trace");
        return true;
      });
    });

    it("a gateway that goes away while serving answers 503 with Retry-After, and the process lives on", async () => {
      const proxy = await tcpRelay(new URL(s3.endpoint));
      const r = await start(s3Env({ REGISTRY_STORAGE_S3_REGIONENDPOINT: proxy.endpoint }));
      const api = new Api(r.url);
      const data = randomBytes(200_000);
      const digest = await pushBlob(api, "s3/down", data);
      await proxy.stop();
      const got = await api.get(`/v2/s3/down/blobs/${digest}`);
      expectError(got, 503, "UNKNOWN");
      assert.ok(got.header("retry-after"), "Retry-After tells the client when to come back");
      assert.ok(!got.text().includes(s3.secretKey));
      const post = await api.post("/v2/s3/down/blobs/uploads/");
      expectStatus(post, 202);
      const put = await api.put(api.location(post), { query: { digest: sha256("abc") }, body: "abc" });
      expectError(put, 503, "UNKNOWN");
      assert.equal(r.process.exitCode, null, "berth is still serving");
      expectStatus(await api.get("/v2/"), 200);
    });
  });
}

// The S3 endpoint stopped in the middle of a chunked push: the client gets 503 with the OCI error
// envelope and Retry-After, nothing half-written is linked, and once the gateway is back the same
// chunk is sent again and the push completes. On a gateway of its own (its radosgw is stopped).
import assert from "node:assert/strict";
import { after, describe, it, test } from "node:test";
import { s3StorageEnv, startRegistry, type RunningRegistry } from "../helpers/registry.js";
import { RGW_TOOLS, startRgw, type OwnS3Server } from "../helpers/rgw.js";
import { hasTool } from "../helpers/tools.js";
import { Api, MediaTypes, blobOf, descriptorOf, errorsOf, expectError, expectStatus, manifestOf, pushBlob, putManifest, randomBytes, sha256, type Reply } from "../protocol/support.js";
import { MiB, createBucket, openUploads, rawClient, rawKeys } from "../storage/s3-support.js";

const missing = RGW_TOOLS.filter((tool) => !hasTool(tool));
if (missing.length > 0 && process.env.CI === "true") throw new Error(`missing tool(s): ${missing.join(", ")} (CI=true: .ci/run must install them)`);

if (missing.length > 0) {
  test("berth on S3 when the endpoint stops", { skip: `Ceph is not installed (missing ${missing.join(", ")})` }, () => {});
} else {
  const s3: OwnS3Server = await startRgw();
  const bucket = await createBucket(s3);
  let registry: RunningRegistry | undefined;
  after(async () => {
    // The bucket goes with the cluster: stop() removes its folder.
    try {
      await registry?.close();
    } finally {
      await s3.stop();
    }
  });

  /** 503 with the spec's envelope and a Retry-After, never a dropped connection or a 500. */
  const expectUnavailable = (reply: Reply, what: string) => {
    assert.equal(reply.status, 503, `${what}: ${reply.status} ${reply.text().slice(0, 300)}`);
    const [error] = errorsOf(reply);
    assert.equal(error!.code, "UNKNOWN", what);
    assert.ok(typeof error!.message === "string" && error!.message.length > 0, `${what}: the envelope says what happened`);
    assert.match(reply.header("retry-after") ?? "", /^\d+$/, `${what}: Retry-After tells the client when to come back`);
    assert.ok(!reply.text().includes(s3.secretKey), `${what}: no secret in the answer`);
  };

  describe("berth on S3 when the endpoint stops mid-push", () => {
    it("answers 503 to the push, links nothing, and completes the same push once the endpoint is back", async () => {
      registry = await startRegistry({ env: s3StorageEnv(s3, bucket) });
      const api = new Api(registry.url);
      const repo = "faults/app";
      const layer = blobOf(randomBytes(9 * MiB + 123), MediaTypes.OciLayerGzip);
      const config = blobOf(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }), MediaTypes.OciConfig);
      await pushBlob(api, repo, config.data);
      const manifest = manifestOf(
        { schemaVersion: 2, mediaType: MediaTypes.OciManifest, config: descriptorOf(config), layers: [descriptorOf(layer)] },
        MediaTypes.OciManifest,
      );
      const cut = 6 * MiB + 7; // one full part sent, and bytes of the next kept as a segment
      const rest = layer.data.subarray(cut);
      const restHeaders = { "Content-Type": MediaTypes.OctetStream, "Content-Range": `${cut}-${layer.size - 1}` };

      const post = await api.post(`/v2/${repo}/blobs/uploads/`);
      expectStatus(post, 202);
      const first = await api.patch(api.location(post), {
        headers: { "Content-Type": MediaTypes.OctetStream, "Content-Range": `0-${cut - 1}` },
        body: layer.data.subarray(0, cut),
      });
      expectStatus(first, 202);
      const location = api.location(first);

      await s3.stopGateway();
      expectUnavailable(await api.patch(location, { headers: restHeaders, body: rest }), "the next chunk");
      expectUnavailable(await api.put(location, { query: { digest: layer.digest }, body: rest }), "the closing PUT with the last chunk");
      // What the registry answers from its metadata alone is unchanged: the session, and no blob.
      const status = await api.get(location);
      expectStatus(status, 204, "upload status while the endpoint is down");
      assert.equal(status.header("range"), `0-${cut - 1}`, "the session still holds exactly the acknowledged bytes");
      expectStatus(await api.head(`/v2/${repo}/blobs/${layer.digest}`), 404, "blob HEAD while the endpoint is down");
      expectError(await putManifest(api, repo, "latest", manifest), 400, "MANIFEST_BLOB_UNKNOWN");
      assert.equal(registry.process.exitCode, null, "berth is still serving");

      await s3.startGateway();
      // Nothing of the failed requests was linked or counted.
      expectStatus(await api.head(`/v2/${repo}/blobs/${layer.digest}`), 404, "blob HEAD once the endpoint is back");
      expectError(await putManifest(api, repo, "latest", manifest), 400, "MANIFEST_BLOB_UNKNOWN");
      const resumed = await api.get(location);
      expectStatus(resumed, 204, "upload status once the endpoint is back");
      assert.equal(resumed.header("range"), `0-${cut - 1}`);

      // The client retries the same chunk, then closes the upload.
      const retried = await api.patch(location, { headers: restHeaders, body: rest });
      expectStatus(retried, 202, "the retried chunk");
      const done = await api.put(api.location(retried), { query: { digest: layer.digest } });
      expectStatus(done, 201, "closing the upload");
      assert.equal(done.header("docker-content-digest"), layer.digest);
      const got = await api.get(`/v2/${repo}/blobs/${layer.digest}`);
      expectStatus(got, 200);
      assert.equal(sha256(got.body), layer.digest, "the stored bytes are the pushed ones");
      expectStatus(await putManifest(api, repo, "latest", manifest), 201, "the manifest, now that its layer is there");
      const raw = rawClient(s3);
      try {
        const keys = await rawKeys(raw, bucket, "registry/");
        assert.deepEqual(keys.filter((k) => k.includes("/.writers/") || k.includes("/uploads/")), [], "nothing of the upload is left");
        assert.deepEqual(await openUploads(raw, bucket, "registry/"), [], "no multipart upload is left open");
      } finally {
        raw.destroy();
      }
    });
  });
}

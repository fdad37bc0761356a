// What an upload session remembers between requests (its row: size, hash state, writer state):
// a request that fails records nothing, so the session continues from its last acknowledged size
// and its digest still comes out right, without the bytes being read back.
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import { startRegistry, type RunningRegistry } from "../helpers/registry.js";
import { Api, MediaTypes, expectError, expectHeader, expectStatus, randomBytes, rawRequest, sha256, startUpload } from "./support.js";

let registry: RunningRegistry;
let api: Api;
const REPO = "progress/test";
const octet = { "Content-Type": MediaTypes.OctetStream };

before(async () => {
  registry = await startRegistry({ env: { BERTH_HTTP_WORKERS: "1" } });
  api = new Api(registry.url);
});

after(async () => {
  await registry?.close();
});

async function rangeOf(location: string): Promise<string | null> {
  const status = await api.get(location);
  expectStatus(status, 204);
  return status.header("range");
}

/** Sends the first `sent` bytes of a `declared`-byte PATCH body, then cuts the connection. */
function cutOffPatch(location: string, declared: number, sent: Buffer, offset: number): Promise<void> {
  return new Promise((resolve) => {
    const req = request(new URL(location, registry.url), {
      method: "PATCH",
      headers: { ...octet, "Content-Length": String(declared), "Content-Range": `${offset}-${offset + declared - 1}` },
    });
    req.on("error", () => resolve());
    req.on("close", () => resolve());
    req.write(sent, () => setTimeout(() => req.destroy(), 200));
  });
}

describe("upload sessions between requests", () => {
  it("a body shorter than its Content-Range is 416; the session keeps its size and goes on to the right digest", async () => {
    const [a, b] = [randomBytes(100_000), randomBytes(70_000)];
    const location = await startUpload(api, REPO);
    const first = await api.patch(location, { headers: { ...octet, "Content-Range": `0-${a.length - 1}` }, body: a });
    expectStatus(first, 202);
    // Chunked transfer encoding: no Content-Length to check before the body arrives.
    const short = await rawRequest(registry.url, "PATCH", new URL(location, registry.url).pathname, {
      headers: { ...octet, "Content-Range": `${a.length}-${a.length + b.length - 1}` },
      body: [b.subarray(0, 30_000), b.subarray(30_000, 50_000)],
    });
    expectError(short, 416, "BLOB_UPLOAD_INVALID");
    expectHeader(short, "range", `0-${a.length - 1}`);
    assert.equal(await rangeOf(location), `0-${a.length - 1}`, "the session kept its size");
    const second = await api.patch(location, { headers: { ...octet, "Content-Range": `${a.length}-${a.length + b.length - 1}` }, body: b });
    expectStatus(second, 202);
    const whole = Buffer.concat([a, b]);
    const done = await api.put(location, { query: { digest: sha256(whole) } });
    expectStatus(done, 201);
    assert.deepEqual((await api.get(`/v2/${REPO}/blobs/${sha256(whole)}`)).body, whole);
  });

  it("a PATCH cut off midway is not acknowledged; the client resumes from the reported Range", async () => {
    const [a, b] = [randomBytes(2 * 1024 * 1024 + 1), randomBytes(3 * 1024 * 1024)];
    const location = await startUpload(api, REPO);
    expectStatus(await api.patch(location, { headers: { ...octet, "Content-Range": `0-${a.length - 1}` }, body: a }), 202);
    await cutOffPatch(location, b.length, b.subarray(0, 2 * 1024 * 1024), a.length);
    // The cut-off request's lease is given back once the server sees the body end.
    const deadline = Date.now() + 5000;
    let range = await rangeOf(location);
    while (Date.now() < deadline) {
      const retry = await api.patch(location, { headers: { ...octet, "Content-Range": `${a.length}-${a.length + b.length - 1}` }, body: b });
      if (retry.status === 202) break;
      expectStatus(retry, 416, "only while the cut-off request still holds the session");
      await new Promise((r) => setTimeout(r, 50));
      range = await rangeOf(location);
    }
    assert.equal(range, `0-${a.length - 1}`, "what the cut-off request wrote was never acknowledged");
    const whole = Buffer.concat([a, b]);
    expectStatus(await api.put(location, { query: { digest: sha256(whole) } }), 201);
    assert.ok((await api.get(`/v2/${REPO}/blobs/${sha256(whole)}`)).body.equals(whole));
  });

  it("a PUT whose digest does not match leaves the session as it was before that PUT", async () => {
    const [a, last] = [randomBytes(50_000), randomBytes(10)];
    const location = await startUpload(api, REPO);
    expectStatus(await api.patch(location, { headers: { ...octet, "Content-Range": `0-${a.length - 1}` }, body: a }), 202);
    expectError(await api.put(location, { query: { digest: sha256("something else") }, headers: octet, body: last }), 400, "DIGEST_INVALID");
    assert.equal(await rangeOf(location), `0-${a.length - 1}`);
    const whole = Buffer.concat([a, last]);
    expectStatus(await api.put(location, { query: { digest: sha256(whole) }, headers: octet, body: last }), 201);
    assert.ok((await api.get(`/v2/${REPO}/blobs/${sha256(whole)}`)).body.equals(whole));
  });
});

// Pulling blobs (end-2): HEAD and GET, their headers, range requests, repository scoping, digests.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startRegistry, type RunningRegistry } from "../helpers/registry.js";
import {
  Api,
  MediaTypes,
  absentDigest,
  expectError,
  expectStatus,
  pushBlob,
  randomBytes,
  sha256,
  sha512,
  startUpload,
} from "./support.js";

let registry: RunningRegistry;
let api: Api;

const REPO = "blobs/pull";
const data = randomBytes(1000);
let digest = "";

before(async () => {
  registry = await startRegistry();
  api = new Api(registry.url);
  digest = await pushBlob(api, REPO, data);
});

after(async () => {
  await registry?.close();
});

describe("HEAD /v2/<name>/blobs/<digest>", () => {
  // spec: "A HEAD request to an existing blob or manifest URL MUST return 200 OK. A successful
  // response SHOULD contain the digest ... Docker-Content-Digest ... SHOULD contain the size in
  // bytes of the uploaded blob in the header Content-Length."
  it("answers 200 with digest, length, type and range support, and no body", async () => {
    const reply = await api.head(`/v2/${REPO}/blobs/${digest}`);
    expectStatus(reply, 200);
    assert.equal(reply.header("docker-content-digest"), digest);
    assert.equal(reply.header("content-length"), String(data.length));
    assert.equal(reply.header("content-type"), MediaTypes.OctetStream);
    assert.equal(reply.header("accept-ranges"), "bytes");
    assert.equal(reply.body.length, 0);
  });

  it("answers 404 for a blob the registry does not have", async () => {
    const reply = await api.head(`/v2/${REPO}/blobs/${absentDigest()}`);
    expectStatus(reply, 404);
    assert.equal(reply.body.length, 0);
  });
});

describe("GET /v2/<name>/blobs/<digest>", () => {
  it("answers 200 with the exact bytes and the same headers as HEAD", async () => {
    const reply = await api.get(`/v2/${REPO}/blobs/${digest}`);
    expectStatus(reply, 200);
    assert.deepEqual(reply.body, data);
    // spec: "If present, the value of this header MUST be a digest matching that of the response body."
    assert.equal(reply.header("docker-content-digest"), sha256(reply.body));
    assert.equal(reply.header("content-length"), String(data.length));
    assert.equal(reply.header("content-type"), MediaTypes.OctetStream);
    assert.equal(reply.header("accept-ranges"), "bytes");
  });

  it("answers 404 BLOB_UNKNOWN for a blob the registry does not have", async () => {
    expectError(await api.get(`/v2/${REPO}/blobs/${absentDigest()}`), 404, "BLOB_UNKNOWN");
  });

  // spec: "If the blob is not found in the repository, the response code MUST be 404 Not Found."
  it("is scoped to the repository: another repository does not serve it", async () => {
    await pushBlob(api, "blobs/other", randomBytes(10));
    expectError(await api.get(`/v2/blobs/other/blobs/${digest}`), 404, "BLOB_UNKNOWN");
    expectStatus(await api.head(`/v2/blobs/other/blobs/${digest}`), 404);
  });

  it("answers 404 for a repository that does not exist", async () => {
    expectError(await api.get(`/v2/blobs/never-created/blobs/${digest}`), 404, ["BLOB_UNKNOWN", "NAME_UNKNOWN"]);
    expectStatus(await api.head(`/v2/blobs/never-created/blobs/${digest}`), 404);
  });

  it("answers 400 DIGEST_INVALID for a malformed digest", async () => {
    const malformed = [
      "sha256:xyz",
      "sha256:" + "a".repeat(63),
      "sha256:" + "a".repeat(65),
      "sha256:" + "A".repeat(64),
      "sha256:",
      "sha256",
      "notadigest",
      ":" + "a".repeat(64),
      "sha512:" + "a".repeat(64),
    ];
    for (const d of malformed) {
      expectError(await api.get(`/v2/${REPO}/blobs/${d}`), 400, "DIGEST_INVALID");
      expectStatus(await api.head(`/v2/${REPO}/blobs/${d}`), 400, `HEAD ${d}`);
    }
  });

  it("refuses a well-formed digest of an algorithm it does not support with a 400", async () => {
    expectError(await api.get(`/v2/${REPO}/blobs/md5:${"a".repeat(32)}`), 400, ["DIGEST_INVALID", "UNSUPPORTED"]);
  });

  it("serves an empty blob", async () => {
    const d = await pushBlob(api, REPO, Buffer.alloc(0));
    assert.equal(d, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const reply = await api.get(`/v2/${REPO}/blobs/${d}`);
    expectStatus(reply, 200);
    assert.equal(reply.body.length, 0);
    assert.equal(reply.header("content-length"), "0");
    assert.equal(reply.header("docker-content-digest"), d);
  });

  it("serves a multi-megabyte blob intact", async () => {
    const big = randomBytes(6 * 1024 * 1024 + 13);
    const d = await pushBlob(api, REPO, big);
    const reply = await api.get(`/v2/${REPO}/blobs/${d}`);
    expectStatus(reply, 200);
    assert.equal(reply.body.length, big.length);
    assert.equal(sha256(reply.body), d);
  });

  // Berth verifies sha256 and sha512 digests (the two the image spec registers).
  it("stores and serves a blob addressed by a sha512 digest", async () => {
    const content = randomBytes(300);
    const d = sha512(content);
    const location = await startUpload(api, REPO);
    const put = await api.put(location, { query: { digest: d }, headers: { "Content-Type": MediaTypes.OctetStream }, body: content });
    expectStatus(put, 201);
    // spec: Docker-Content-Digest is "the canonical digest of the uploaded blob which MAY differ
    // from the provided digest", so either algorithm may come back, but it must match the bytes.
    const canonical = [d, sha256(content)];
    assert.ok(canonical.includes(put.header("docker-content-digest") ?? ""), `PUT digest ${put.header("docker-content-digest")}`);
    const reply = await api.get(`/v2/${REPO}/blobs/${d}`);
    expectStatus(reply, 200);
    assert.deepEqual(reply.body, content);
    assert.ok(canonical.includes(reply.header("docker-content-digest") ?? ""), `GET digest ${reply.header("docker-content-digest")}`);
  });
});

// spec: "A registry SHOULD support the Range request header in accordance with RFC 9110."
describe("GET /v2/<name>/blobs/<digest> with Range", () => {
  const size = () => data.length;

  it("bytes=a-b answers 206 with Content-Range and exactly that slice", async () => {
    const reply = await api.get(`/v2/${REPO}/blobs/${digest}`, { headers: { Range: "bytes=10-19" } });
    expectStatus(reply, 206);
    assert.equal(reply.header("content-range"), `bytes 10-19/${size()}`);
    assert.equal(reply.header("content-length"), "10");
    assert.deepEqual(reply.body, data.subarray(10, 20));
  });

  it("bytes=a- answers the rest of the blob (how clients resume a pull)", async () => {
    const reply = await api.get(`/v2/${REPO}/blobs/${digest}`, { headers: { Range: "bytes=900-" } });
    expectStatus(reply, 206);
    assert.equal(reply.header("content-range"), `bytes 900-${size() - 1}/${size()}`);
    assert.deepEqual(reply.body, data.subarray(900));
  });

  it("bytes=-n answers the last n bytes", async () => {
    const reply = await api.get(`/v2/${REPO}/blobs/${digest}`, { headers: { Range: "bytes=-25" } });
    expectStatus(reply, 206);
    assert.equal(reply.header("content-range"), `bytes ${size() - 25}-${size() - 1}/${size()}`);
    assert.deepEqual(reply.body, data.subarray(size() - 25));
  });

  it("an end past the blob is clamped to its last byte", async () => {
    const reply = await api.get(`/v2/${REPO}/blobs/${digest}`, { headers: { Range: `bytes=990-${size() + 500}` } });
    expectStatus(reply, 206);
    assert.equal(reply.header("content-range"), `bytes 990-${size() - 1}/${size()}`);
    assert.deepEqual(reply.body, data.subarray(990));
  });

  it("a range starting past the end answers 416", async () => {
    const reply = await api.get(`/v2/${REPO}/blobs/${digest}`, { headers: { Range: `bytes=${size()}-${size() + 10}` } });
    expectStatus(reply, 416);
    // RFC 9110 §15.5.17: a 416 SHOULD carry Content-Range: bytes */<complete-length>.
    const contentRange = reply.header("content-range");
    if (contentRange !== null) assert.equal(contentRange, `bytes */${size()}`);
  });

  it("a range on an unknown blob is still a 404", async () => {
    expectStatus(await api.get(`/v2/${REPO}/blobs/${absentDigest()}`, { headers: { Range: "bytes=0-1" } }), 404);
  });
});

// Cross-repository blob mounts (end-11), including Berth's automatic cross-mount: `?mount=` without
// `from` mounts a blob that any repository holds (the conformance suite's OCI_AUTOMATIC_CROSSMOUNT).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  Api,
  MediaTypes,
  absentDigest,
  expectError,
  expectStatus,
  pathOf,
  pushBlob,
  randomBytes,
  sha256,
  suffix,
  registryPerFile,
} from "./support.js";

let api: Api;
registryPerFile((started) => ({ api } = started));

function mount(to: string, digest: string, from?: string) {
  const query: Record<string, string> = { mount: digest };
  if (from !== undefined) query.from = from;
  return api.post(`/v2/${to}/blobs/uploads/`, { query });
}

describe("POST /v2/<name>/blobs/uploads/?mount=<digest>&from=<other>", () => {
  // spec: "The response to a successful mount MUST be 201 Created, and MUST contain the following
  // header: Location: <blob-location>"
  it("answers 201 with the blob's Location in the target repository when `from` has the blob", async () => {
    const content = randomBytes(300);
    const digest = await pushBlob(api, "mount/source", content);
    const reply = await mount("mount/target", digest, "mount/source");
    expectStatus(reply, 201);
    const location = api.location(reply);
    assert.equal(pathOf(location), `/v2/mount/target/blobs/${digest}`);
    assert.equal(reply.header("docker-content-digest"), digest);
    const fetched = await api.get(location);
    expectStatus(fetched, 200);
    assert.deepEqual(fetched.body, content);
    const head = await api.head(`/v2/mount/target/blobs/${digest}`);
    expectStatus(head, 200);
    assert.equal(head.header("content-length"), String(content.length));
  });

  // spec: "if a registry ... is unable to mount the requested blob, it SHOULD return a 202. This
  // indicates that the upload session has begun and that the client MAY proceed with the upload."
  it("answers 202 with a working upload session when the blob is unknown", async () => {
    await pushBlob(api, "mount/source", randomBytes(10));
    const content = randomBytes(120);
    const digest = sha256(content);
    const reply = await mount("mount/target", digest, "mount/source");
    expectStatus(reply, 202);
    const location = api.location(reply);
    assert.ok(pathOf(location).startsWith("/v2/mount/target/blobs/uploads/"), `Location ${location}`);
    const put = await api.put(location, {
      query: { digest },
      headers: { "Content-Type": MediaTypes.OctetStream },
      body: content,
    });
    expectStatus(put, 201);
    expectStatus(await api.get(`/v2/mount/target/blobs/${digest}`), 200);
  });

  it("answers 202 when `from` names a repository that does not exist", async () => {
    const reply = await mount("mount/target", absentDigest(), `mount/nowhere-${suffix()}`);
    expectStatus(reply, 202);
    assert.ok(reply.header("location"));
  });

  it("answers 201 when the blob is already in the target repository", async () => {
    const digest = await pushBlob(api, "mount/already", randomBytes(40));
    expectStatus(await mount("mount/already", digest, "mount/already"), 201);
  });

  it("answers 400 DIGEST_INVALID for a malformed mount digest", async () => {
    expectError(await mount("mount/target", "sha256:nothex", "mount/source"), 400, "DIGEST_INVALID");
  });

  it("keeps the mounted blob when the source repository deletes its copy", async () => {
    const content = randomBytes(64);
    const digest = await pushBlob(api, "mount/keep-src", content);
    expectStatus(await mount("mount/keep-dst", digest, "mount/keep-src"), 201);
    expectStatus(await api.delete(`/v2/mount/keep-src/blobs/${digest}`), 202);
    expectStatus(await api.get(`/v2/mount/keep-src/blobs/${digest}`), 404);
    const reply = await api.get(`/v2/mount/keep-dst/blobs/${digest}`);
    expectStatus(reply, 200);
    assert.deepEqual(reply.body, content);
  });

  it("does not mount a blob that `from` deleted and no repository holds any more", async () => {
    const digest = await pushBlob(api, "mount/gone-src", randomBytes(64));
    expectStatus(await api.delete(`/v2/mount/gone-src/blobs/${digest}`), 202);
    expectStatus(await mount("mount/gone-dst", digest, "mount/gone-src"), 202);
    expectStatus(await mount("mount/gone-dst", digest), 202);
    expectStatus(await api.head(`/v2/mount/gone-dst/blobs/${digest}`), 404);
  });
});

describe("POST /v2/<name>/blobs/uploads/?mount=<digest> without `from` (automatic cross-mount)", () => {
  // spec: "The registry MAY treat the `from` parameter as optional, and it MAY cross-mount the
  // blob if it can be found." Berth does.
  it("answers 201 and mounts a blob that another repository holds", async () => {
    const content = randomBytes(500);
    const digest = await pushBlob(api, "auto/holder", content);
    expectStatus(await api.head(`/v2/auto/receiver/blobs/${digest}`), 404);
    const reply = await mount("auto/receiver", digest);
    expectStatus(reply, 201);
    assert.equal(pathOf(api.location(reply)), `/v2/auto/receiver/blobs/${digest}`);
    const fetched = await api.get(`/v2/auto/receiver/blobs/${digest}`);
    expectStatus(fetched, 200);
    assert.deepEqual(fetched.body, content);
  });

  it("answers 202 with an upload session for a blob no repository holds", async () => {
    const reply = await mount("auto/receiver", absentDigest());
    expectStatus(reply, 202);
    assert.ok(pathOf(api.location(reply)).startsWith("/v2/auto/receiver/blobs/uploads/"));
  });

  it("with a `from` that lacks the blob, either mounts it from its holder (201) or starts an upload (202)", async () => {
    const digest = await pushBlob(api, "auto/real-holder", randomBytes(77));
    await pushBlob(api, "auto/empty-handed", randomBytes(3));
    const reply = await mount("auto/receiver2", digest, "auto/empty-handed");
    expectStatus(reply, [201, 202]);
    if (reply.status === 202) {
      // the spec leaves this open; a 202 must not have linked the blob anyway
      expectStatus(await api.head(`/v2/auto/receiver2/blobs/${digest}`), 404);
    } else {
      expectStatus(await api.get(`/v2/auto/receiver2/blobs/${digest}`), 200);
    }
  });
});

// Content management (end-9, end-10): deleting tags, manifests and blobs, and what each deletion
// leaves in place.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  Api,
  absentDigest,
  descriptorOf,
  expectError,
  expectStatus,
  makeArtifact,
  makeImage,
  makeIndex,
  pushBlob,
  pushManifest,
  putManifest,
  randomBytes,
  registryPerFile,
} from "./support.js";

let api: Api;
registryPerFile((started) => ({ api } = started));

async function tagsOf(name: string): Promise<string[]> {
  const reply = await api.get(`/v2/${name}/tags/list`);
  expectStatus(reply, 200, `tags of ${name}`);
  return reply.json<{ tags: string[] }>().tags;
}

describe("DELETE /v2/<name>/manifests/<tag>", () => {
  // spec: "Upon success, the registry MUST respond with a 202 Accepted code." and "Once deleted,
  // a GET to /v2/<name>/manifests/<tag> will return a 404."
  it("answers 202 and removes only the tag: the manifest stays reachable by digest", async () => {
    const name = "cm/tag-delete";
    const image = makeImage();
    await pushManifest(api, name, image, "keep");
    await pushManifest(api, name, image, "drop");
    expectStatus(await api.delete(`/v2/${name}/manifests/drop`), 202);
    expectError(await api.get(`/v2/${name}/manifests/drop`), 404, "MANIFEST_UNKNOWN");
    expectStatus(await api.head(`/v2/${name}/manifests/drop`), 404);
    const byDigest = await api.get(`/v2/${name}/manifests/${image.digest}`);
    expectStatus(byDigest, 200);
    assert.ok(byDigest.body.equals(image.bytes));
    expectStatus(await api.get(`/v2/${name}/manifests/keep`), 200);
    assert.deepEqual(await tagsOf(name), ["keep"]);
  });

  it("the last tag's deletion leaves an empty tag list (200), as the conformance suite expects", async () => {
    const name = "cm/last-tag";
    const image = makeImage();
    await pushManifest(api, name, image, "only");
    expectStatus(await api.delete(`/v2/${name}/manifests/only`), 202);
    assert.deepEqual(await tagsOf(name), []);
    expectStatus(await api.delete(`/v2/${name}/manifests/${image.digest}`), 202);
    assert.deepEqual(await tagsOf(name), []);
  });

  it("an unknown tag answers 404 MANIFEST_UNKNOWN", async () => {
    const name = "cm/tag-delete";
    expectError(await api.delete(`/v2/${name}/manifests/never-was`), 404, "MANIFEST_UNKNOWN");
  });

  it("a deleted tag can be pushed again", async () => {
    const name = "cm/retag";
    const image = makeImage();
    await pushManifest(api, name, image, "again");
    expectStatus(await api.delete(`/v2/${name}/manifests/again`), 202);
    expectStatus(await putManifest(api, name, "again", image), 201);
    expectStatus(await api.get(`/v2/${name}/manifests/again`), 200);
  });
});

describe("DELETE /v2/<name>/manifests/<digest>", () => {
  // spec: "Once deleted, a GET to /v2/<name>/manifests/<digest> and any tag pointing to that
  // digest will return a 404."
  it("answers 202; the manifest and every tag pointing to it answer 404 and leave the tag list", async () => {
    const name = "cm/manifest-delete";
    const image = makeImage();
    const other = makeImage();
    await pushManifest(api, name, image, "one");
    await pushManifest(api, name, image, "two");
    await pushManifest(api, name, other, "three");
    expectStatus(await api.delete(`/v2/${name}/manifests/${image.digest}`), 202);
    expectError(await api.get(`/v2/${name}/manifests/${image.digest}`), 404, "MANIFEST_UNKNOWN");
    expectStatus(await api.head(`/v2/${name}/manifests/${image.digest}`), 404);
    expectError(await api.get(`/v2/${name}/manifests/one`), 404, "MANIFEST_UNKNOWN");
    expectError(await api.get(`/v2/${name}/manifests/two`), 404, "MANIFEST_UNKNOWN");
    expectStatus(await api.get(`/v2/${name}/manifests/three`), 200);
    assert.deepEqual(await tagsOf(name), ["three"]);
  });

  it("a second delete answers 404 MANIFEST_UNKNOWN", async () => {
    const name = "cm/manifest-twice";
    const image = makeImage();
    await pushManifest(api, name, image);
    expectStatus(await api.delete(`/v2/${name}/manifests/${image.digest}`), 202);
    expectError(await api.delete(`/v2/${name}/manifests/${image.digest}`), 404, "MANIFEST_UNKNOWN");
  });

  it("an unknown digest answers 404 MANIFEST_UNKNOWN", async () => {
    await pushManifest(api, "cm/unknown", makeImage(), "x");
    expectError(await api.delete(`/v2/cm/unknown/manifests/${absentDigest()}`), 404, "MANIFEST_UNKNOWN");
  });

  // spec: "If the repository does not exist, the response MUST return 404 Not Found."
  it("a repository that does not exist answers 404", async () => {
    expectError(await api.delete(`/v2/cm/no-such-repo/manifests/${absentDigest()}`), 404, ["NAME_UNKNOWN", "MANIFEST_UNKNOWN"]);
  });

  it("a malformed digest answers 400 DIGEST_INVALID", async () => {
    await pushManifest(api, "cm/malformed", makeImage(), "x");
    expectError(await api.delete("/v2/cm/malformed/manifests/sha256:nothex"), 400, "DIGEST_INVALID");
  });

  it("deletes only in its repository", async () => {
    const image = makeImage();
    await pushManifest(api, "cm/left", image, "t");
    await pushManifest(api, "cm/right", image, "t");
    expectStatus(await api.delete(`/v2/cm/left/manifests/${image.digest}`), 202);
    expectStatus(await api.get(`/v2/cm/left/manifests/t`), 404);
    const right = await api.get(`/v2/cm/right/manifests/t`);
    expectStatus(right, 200);
    assert.ok(right.body.equals(image.bytes));
  });

  it("a deleted manifest can be pushed again, by digest and by tag", async () => {
    const name = "cm/repush";
    const image = makeImage();
    await pushManifest(api, name, image, "t");
    expectStatus(await api.delete(`/v2/${name}/manifests/${image.digest}`), 202);
    expectStatus(await putManifest(api, name, image.digest, image), 201);
    expectStatus(await putManifest(api, name, "t", image), 201);
    expectStatus(await api.get(`/v2/${name}/manifests/t`), 200);
  });

  it("the manifests of a deleted index stay", async () => {
    const name = "cm/index";
    const a = makeImage();
    const b = makeImage();
    await pushManifest(api, name, a);
    await pushManifest(api, name, b);
    const index = makeIndex([a, b]);
    expectStatus(await putManifest(api, name, "multi", index), 201);
    expectStatus(await api.delete(`/v2/${name}/manifests/${index.digest}`), 202);
    expectStatus(await api.get(`/v2/${name}/manifests/multi`), 404);
    expectStatus(await api.get(`/v2/${name}/manifests/${a.digest}`), 200);
    expectStatus(await api.get(`/v2/${name}/manifests/${b.digest}`), 200);
  });

  // The referrers of a missing subject are still answered (the spec requires accepting them before
  // their subject exists); whether they stay listed after the subject goes is left open here.
  it("deleting a subject leaves its referrers reachable and the referrers API answering", async () => {
    const name = "cm/subject";
    const subject = makeImage();
    await pushManifest(api, name, subject, "app");
    const sig = makeArtifact({ artifactType: "application/vnd.example.sig", subject: descriptorOf(subject) });
    await pushManifest(api, name, sig);
    expectStatus(await api.delete(`/v2/${name}/manifests/${subject.digest}`), 202);
    expectStatus(await api.get(`/v2/${name}/manifests/${sig.digest}`), 200);
    const reply = await api.get(`/v2/${name}/referrers/${subject.digest}`);
    expectStatus(reply, 200);
    assert.ok(Array.isArray(reply.json<{ manifests: unknown }>().manifests));
  });
});

describe("DELETE /v2/<name>/blobs/<digest>", () => {
  // spec: "Upon success, the registry MUST respond with code 202 Accepted. If the blob is not
  // found, a 404 Not Found code MUST be returned."
  it("answers 202, then the blob answers 404 BLOB_UNKNOWN, and a second delete 404", async () => {
    const name = "cm/blob";
    const digest = await pushBlob(api, name, randomBytes(200));
    expectStatus(await api.delete(`/v2/${name}/blobs/${digest}`), 202);
    expectError(await api.get(`/v2/${name}/blobs/${digest}`), 404, "BLOB_UNKNOWN");
    expectStatus(await api.head(`/v2/${name}/blobs/${digest}`), 404);
    expectError(await api.delete(`/v2/${name}/blobs/${digest}`), 404, "BLOB_UNKNOWN");
  });

  it("an unknown blob answers 404 BLOB_UNKNOWN", async () => {
    await pushBlob(api, "cm/blob-unknown", randomBytes(3));
    expectError(await api.delete(`/v2/cm/blob-unknown/blobs/${absentDigest()}`), 404, "BLOB_UNKNOWN");
  });

  it("a malformed digest answers 400 DIGEST_INVALID", async () => {
    expectError(await api.delete("/v2/cm/blob-unknown/blobs/sha256:zz"), 400, "DIGEST_INVALID");
  });

  it("deletes only in its repository: the same blob elsewhere stays", async () => {
    const content = randomBytes(123);
    const digest = await pushBlob(api, "cm/blob-a", content);
    await pushBlob(api, "cm/blob-b", content);
    expectStatus(await api.delete(`/v2/cm/blob-a/blobs/${digest}`), 202);
    expectStatus(await api.get(`/v2/cm/blob-a/blobs/${digest}`), 404);
    const b = await api.get(`/v2/cm/blob-b/blobs/${digest}`);
    expectStatus(b, 200);
    assert.deepEqual(b.body, content);
  });

  it("a deleted blob can be uploaded again", async () => {
    const name = "cm/blob-again";
    const content = randomBytes(50);
    const digest = await pushBlob(api, name, content);
    expectStatus(await api.delete(`/v2/${name}/blobs/${digest}`), 202);
    await pushBlob(api, name, content);
    const reply = await api.get(`/v2/${name}/blobs/${digest}`);
    expectStatus(reply, 200);
    assert.deepEqual(reply.body, content);
  });

  it("deleting a blob does not delete manifests", async () => {
    const name = "cm/blob-under-manifest";
    const image = makeImage();
    await pushManifest(api, name, image, "t");
    expectStatus(await api.delete(`/v2/${name}/blobs/${image.blobs[1]!.digest}`), 202);
    const reply = await api.get(`/v2/${name}/manifests/t`);
    expectStatus(reply, 200);
    assert.ok(reply.body.equals(image.bytes));
  });
});

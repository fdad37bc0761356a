import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { digestOf, parseDigest } from "../../src/content/digest.js";
import { parseManifest } from "../../src/content/manifest.js";
import { MediaType } from "../../src/content/mediatypes.js";
import { isValidRepositoryName, isValidTag } from "../../src/content/names.js";

const d = (c: string) => `sha256:${c.repeat(64)}`;

describe("digests", () => {
  it("accepts sha256 and sha512, rejects the rest with a reason", () => {
    assert.equal(parseDigest(d("a")).algorithm, "sha256");
    assert.equal(parseDigest(`sha512:${"b".repeat(128)}`).algorithm, "sha512");
    for (const bad of ["", "sha256", "sha256:", `sha256:${"A".repeat(64)}`, `sha256:${"a".repeat(63)}`, "sha256:../x", ":abc"]) {
      assert.throws(() => parseDigest(bad), Error, bad);
    }
    assert.throws(() => parseDigest("md5:abcd"), (e: { unsupported: boolean }) => e.unsupported);
  });
  it("digestOf hashes", () => {
    assert.equal(digestOf("hello"), "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  });
});

describe("names and tags (spec grammar)", () => {
  it("repository names", () => {
    for (const ok of ["a", "ns/app", "a/b/c", "my-app", "my__app", "my.app", "a--b", "ourtenant/oxar-rtu", "x/blobs/y"]) {
      assert.ok(isValidRepositoryName(ok), ok);
    }
    for (const bad of ["", "A", "a/", "/a", "a//b", "../etc", "a/../b", "a/./b", "-a", "a-", "a___b", "a%2fb", "a b", "x".repeat(256)]) {
      assert.ok(!isValidRepositoryName(bad), bad);
    }
  });
  it("tags", () => {
    for (const ok of ["latest", "v1.0", "0.0.1", "_x", "A-b_c.d", "x".repeat(128)]) assert.ok(isValidTag(ok), ok);
    for (const bad of ["", ".x", "-x", "a/b", "a:b", "x".repeat(129), "..", "a b"]) assert.ok(!isValidTag(bad), bad);
  });
});

describe("manifest parsing", () => {
  const image = (extra: object = {}) =>
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: d("c"), size: 10 },
        layers: [
          { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: d("1"), size: 5 },
          { mediaType: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", digest: d("2"), size: 5, urls: ["http://x"] },
        ],
        ...extra,
      }),
    );

  it("an image manifest needs its config and distributable layers", () => {
    const m = parseManifest(image(), MediaType.OciManifest);
    assert.equal(m.kind, "image");
    assert.deepEqual(m.blobs.map((b) => b.digest), [d("c"), d("1")]);
    assert.equal(m.artifactType, "application/vnd.oci.image.config.v1+json");
  });

  it("artifactType and subject are read", () => {
    const m = parseManifest(image({ artifactType: "application/x.sig", subject: { mediaType: MediaType.OciManifest, digest: d("f"), size: 1 } }), undefined);
    assert.equal(m.artifactType, "application/x.sig");
    assert.equal(m.subject?.digest, d("f"));
  });

  it("an index needs its children", () => {
    const body = Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: MediaType.OciManifest, digest: d("e"), size: 3 }] }));
    const m = parseManifest(body, undefined);
    assert.equal(m.mediaType, MediaType.OciIndex);
    assert.deepEqual(m.manifests.map((x) => x.digest), [d("e")]);
  });

  it("refuses bad input with a reason", () => {
    const cases: [Buffer, string | undefined, RegExp][] = [
      [Buffer.from("{"), undefined, /not valid JSON/],
      [Buffer.concat([image().subarray(0, -1), Buffer.from(',"annotations":{"a":"\xff\xfe"}}', "latin1")]), undefined, /not valid UTF-8/],
      [Buffer.from([0x7b, 0xc0, 0xaf, 0x7d]), undefined, /not valid UTF-8/],
      [Buffer.from("[]"), undefined, /JSON object/],
      [Buffer.from(JSON.stringify({ schemaVersion: 1, name: "x", fsLayers: [] })), undefined, /schema 1/],
      [Buffer.from("{}"), MediaType.DockerSchema1Signed, /schema 1/],
      [Buffer.from(JSON.stringify({ schemaVersion: 3 })), undefined, /schemaVersion/],
      [image({ mediaType: "application/x-unknown" }), undefined, /unsupported manifest media type/],
      [image(), MediaType.DockerManifest, /does not match/],
      [image({ config: { mediaType: "x/y", digest: "sha256:zz", size: 1 } }), undefined, /config.digest/],
      [image({ config: { mediaType: "x/y", digest: d("a"), size: -1 } }), undefined, /config.size/],
      [image({ layers: {} }), undefined, /layers must be an array/],
      [image({ annotations: { a: 1 } }), undefined, /annotations/],
      [Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: "x" })), undefined, /manifests must be an array/],
    ];
    for (const [body, type, pattern] of cases) assert.throws(() => parseManifest(body, type), pattern, body.toString().slice(0, 60));
  });
});

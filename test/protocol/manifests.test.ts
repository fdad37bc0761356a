// Pushing and pulling manifests (end-3, end-7): OCI image manifests and indexes, Docker schema 2
// manifests and manifest lists, artifacts, exact-bytes storage, validation and its error codes.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import {
  Api,
  EMPTY_JSON,
  EMPTY_JSON_DATA,
  EMPTY_JSON_DIGEST,
  MediaTypes,
  absentDigest,
  blobOf,
  descriptorOf,
  encode,
  expectError,
  expectStatus,
  makeArtifact,
  makeImage,
  makeIndex,
  manifestOf,
  pathOf,
  pushBlob,
  pushBlobs,
  pushManifest,
  putManifest,
  randomBytes,
  sha256,
  type Manifest,
  registryPerFile,
} from "./support.js";

let api: Api;
registryPerFile((started) => ({ api } = started));

/** GET and HEAD by `reference` return exactly the pushed manifest, with its type and digest. */
async function expectManifest(name: string, reference: string, manifest: Manifest): Promise<void> {
  const get = await api.get(`/v2/${name}/manifests/${reference}`, { headers: { Accept: manifest.mediaType } });
  expectStatus(get, 200, `GET ${name}:${reference}`);
  assert.ok(get.body.equals(manifest.bytes), `GET ${reference}: the body differs from the pushed bytes`);
  assert.equal(get.header("content-type"), manifest.mediaType);
  assert.equal(get.header("docker-content-digest"), manifest.digest);
  assert.equal(get.header("content-length"), String(manifest.size));

  const head = await api.head(`/v2/${name}/manifests/${reference}`, { headers: { Accept: manifest.mediaType } });
  expectStatus(head, 200, `HEAD ${name}:${reference}`);
  assert.equal(head.body.length, 0);
  assert.equal(head.header("content-type"), manifest.mediaType);
  assert.equal(head.header("docker-content-digest"), manifest.digest);
  assert.equal(head.header("content-length"), String(manifest.size));
}

describe("PUT /v2/<name>/manifests/<tag> (OCI image manifest)", () => {
  const REPO = "manifests/oci";
  const image = makeImage({ layers: 2 });

  // spec: "Upon a successful upload, the registry MUST return response code 201 Created, and MUST
  // have the following header: Location: <location>. The <location> is a pullable manifest URL."
  it("answers 201 with a pullable Location and Docker-Content-Digest", async () => {
    await pushBlobs(api, REPO, image.blobs);
    const reply = await putManifest(api, REPO, "v1", image);
    expectStatus(reply, 201);
    assert.equal(reply.header("docker-content-digest"), image.digest);
    const location = api.location(reply);
    assert.ok(pathOf(location).startsWith(`/v2/${REPO}/manifests/`), `Location ${location}`);
    const pulled = await api.get(location);
    expectStatus(pulled, 200);
    assert.ok(pulled.body.equals(image.bytes));
  });

  // spec: "The registry MUST store the manifest in the exact byte representation provided by the client."
  it("serves the exact bytes by tag and by digest, with Content-Type and Docker-Content-Digest", async () => {
    await expectManifest(REPO, "v1", image);
    await expectManifest(REPO, image.digest, image);
  });

  it("keeps formatting, key order and unknown fields byte for byte", async () => {
    const config = blobOf(JSON.stringify({ architecture: "arm64", os: "linux" }), MediaTypes.OciConfig);
    const layer = blobOf(randomBytes(100), MediaTypes.OciLayerGzip);
    await pushBlobs(api, REPO, [config, layer]);
    const text =
      `{\n    "schemaVersion" : 2,\r\n  "zzUnknown": {"nested": [1, 2.50, null, true]},\n` +
      `"mediaType": "${MediaTypes.OciManifest}", "config": {"mediaType": "${config.mediaType}", "size": ${config.size}, ` +
      `"digest": "${config.digest}", "data": "${config.data.toString("base64")}", "newUnspecifiedField": null},\n` +
      `"layers": [{"digest": "${layer.digest}", "size": ${layer.size}, "mediaType": "${layer.mediaType}", ` +
      `"annotations": {"ünïcödé": "✓"}, "newUnspecifiedField": "aGVsbG8gd29ybGQ="}], "annotations": {"a": "b"}}   \n`;
    const manifest = manifestOf(JSON.parse(text), MediaTypes.OciManifest);
    const exact: Manifest = { ...manifest, bytes: Buffer.from(text), digest: sha256(text), size: Buffer.byteLength(text) };
    expectStatus(await putManifest(api, REPO, "odd-format", exact), 201);
    await expectManifest(REPO, "odd-format", exact);
    await expectManifest(REPO, exact.digest, exact);
  });

  // conformance: "Registry should accept a manifest upload with no layers"
  it("accepts an image manifest with an empty layer list", async () => {
    const config = blobOf(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }), MediaTypes.OciConfig);
    await pushBlobs(api, REPO, [config]);
    const m = manifestOf({ schemaVersion: 2, mediaType: MediaTypes.OciManifest, config: descriptorOf(config), layers: [] }, MediaTypes.OciManifest);
    expectStatus(await putManifest(api, REPO, "no-layers", m), 201);
    await expectManifest(REPO, "no-layers", m);
  });

  // spec: "Clients SHOULD set the Content-Type header to the type of the manifest being pushed."
  // The `mediaType` field is only a SHOULD, so the header is what types the manifest.
  it("accepts a manifest without a mediaType field, typed by Content-Type", async () => {
    const config = blobOf(JSON.stringify({ architecture: "amd64", os: "linux", v: 2 }), MediaTypes.OciConfig);
    await pushBlobs(api, REPO, [config]);
    const m = manifestOf({ schemaVersion: 2, config: descriptorOf(config), layers: [] }, MediaTypes.OciManifest, [], "\t");
    expectStatus(await putManifest(api, REPO, "no-media-type", m), 201);
    await expectManifest(REPO, "no-media-type", m);
  });

  // spec: "The registry SHOULD ignore parameters on the Content-Type header." and "The registry
  // SHOULD NOT include parameters on the Content-Type header."
  it("ignores Content-Type parameters on push and serves the bare media type", async () => {
    const img = makeImage();
    await pushBlobs(api, REPO, img.blobs);
    expectStatus(await putManifest(api, REPO, "with-params", img, `${img.mediaType}; charset=utf-8`), 201);
    await expectManifest(REPO, "with-params", img);
  });

  it("pushing the same manifest under the same tag again answers 201", async () => {
    expectStatus(await putManifest(api, REPO, "v1", image), 201);
    await expectManifest(REPO, "v1", image);
  });

  it("moves a tag to a new manifest; the old one stays reachable by digest", async () => {
    const next = makeImage();
    await pushManifest(api, REPO, next, "moving");
    const newer = makeImage();
    await pushManifest(api, REPO, newer, "moving");
    await expectManifest(REPO, "moving", newer);
    await expectManifest(REPO, next.digest, next);
  });

  it("one manifest may carry several tags", async () => {
    const img = makeImage();
    for (const tag of ["multi-a", "multi-b", "multi-c"]) await pushManifest(api, REPO, img, tag);
    for (const tag of ["multi-a", "multi-b", "multi-c"]) await expectManifest(REPO, tag, img);
  });

  // spec: "Client and registry implementations SHOULD expect to be able to support manifest pushes
  // of at least 4 megabytes."
  it("accepts a manifest of almost 4 MB", async () => {
    const img = makeImage();
    await pushBlobs(api, REPO, img.blobs);
    const document = JSON.parse(img.bytes.toString()) as Record<string, unknown>;
    const annotations: Record<string, string> = {};
    for (let i = 0; i < 390; i++) annotations[`large-annotation-${i}`] = "A".repeat(10_000);
    document.annotations = annotations;
    const large = manifestOf(document, MediaTypes.OciManifest);
    assert.ok(large.size > 3_900_000 && large.size < 4_000_000, `size ${large.size}`);
    expectStatus(await putManifest(api, REPO, "large", large), 201);
    await expectManifest(REPO, "large", large);
  });

  // image-spec: non-distributable layers' blobs live elsewhere; a registry need not hold them.
  it("accepts non-distributable layers whose blobs it does not hold", async () => {
    const config = blobOf(JSON.stringify({ architecture: "amd64", os: "windows" }), MediaTypes.OciConfig);
    const local = blobOf(randomBytes(200), MediaTypes.OciLayerGzip);
    await pushBlobs(api, REPO, [config, local]);
    const foreign = absentDigest();
    const m = manifestOf(
      {
        schemaVersion: 2,
        mediaType: MediaTypes.OciManifest,
        config: descriptorOf(config),
        layers: [
          {
            mediaType: MediaTypes.OciLayerNondistributableGzip,
            digest: foreign,
            size: 123456,
            urls: [`https://store.example.com/blobs/sha256/${foreign.slice(7)}`],
          },
          {
            mediaType: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
            digest: absentDigest(),
            size: 654321,
            urls: ["https://store.example.com/blob"],
          },
          descriptorOf(local),
        ],
      },
      MediaTypes.OciManifest,
    );
    expectStatus(await putManifest(api, REPO, "non-distributable", m), 201);
    await expectManifest(REPO, "non-distributable", m);
  });
});

describe("PUT /v2/<name>/manifests/<digest>", () => {
  const REPO = "manifests/by-digest";

  // spec: "The Docker-Content-Digest header returns the canonical digest of the uploaded blob, and
  // MUST be equal to the client provided digest."
  it("answers 201 with Docker-Content-Digest equal to the digest in the URL", async () => {
    const image = makeImage();
    await pushBlobs(api, REPO, image.blobs);
    const reply = await putManifest(api, REPO, image.digest, image);
    expectStatus(reply, 201);
    assert.equal(reply.header("docker-content-digest"), image.digest);
    assert.equal(pathOf(api.location(reply)), `/v2/${REPO}/manifests/${image.digest}`);
    await expectManifest(REPO, image.digest, image);
  });

  it("answers 400 DIGEST_INVALID when the body does not hash to the digest in the URL", async () => {
    const image = makeImage();
    await pushBlobs(api, REPO, image.blobs);
    const reply = await putManifest(api, REPO, absentDigest(), image);
    expectError(reply, 400, "DIGEST_INVALID");
    expectStatus(await api.head(`/v2/${REPO}/manifests/${image.digest}`), 404);
  });

  it("answers 400 DIGEST_INVALID for a malformed digest reference", async () => {
    const image = makeImage();
    await pushBlobs(api, REPO, image.blobs);
    expectError(await putManifest(api, REPO, "sha256:nothex", image), 400, "DIGEST_INVALID");
  });
});

describe("OCI image index", () => {
  const REPO = "manifests/index";

  it("accepts an index whose manifests are in the repository and serves it with its type", async () => {
    const amd = makeImage();
    const arm = makeImage();
    await pushManifest(api, REPO, amd);
    await pushManifest(api, REPO, arm);
    const index = makeIndex([amd, arm], { annotations: { "org.opencontainers.image.ref.name": "multi" } });
    const reply = await putManifest(api, REPO, "multi", index);
    expectStatus(reply, 201);
    assert.equal(reply.header("docker-content-digest"), index.digest);
    await expectManifest(REPO, "multi", index);
    await expectManifest(REPO, index.digest, index);
  });

  it("accepts an empty index", async () => {
    const index = makeIndex([]);
    expectStatus(await putManifest(api, REPO, "empty-index", index), 201);
    await expectManifest(REPO, "empty-index", index);
  });

  it("accepts an index of indexes", async () => {
    const inner = makeIndex([await pushed(REPO, makeImage()), await pushed(REPO, makeImage())]);
    expectStatus(await putManifest(api, REPO, inner.digest, inner), 201);
    const outer = makeIndex([inner], { platforms: false });
    expectStatus(await putManifest(api, REPO, "nested", outer), 201);
    await expectManifest(REPO, "nested", outer);
  });

  // spec: "A registry MAY reject a manifest ... with descriptors in other fields that reference a
  // manifest or blob that does not exist in the registry. When a manifest is rejected for this
  // reason, it MUST result in one or more MANIFEST_BLOB_UNKNOWN errors."
  it("refuses an index that references a manifest the repository lacks with 400 MANIFEST_BLOB_UNKNOWN", async () => {
    const present = await pushed(REPO, makeImage());
    const missing = makeImage();
    const index = makeIndex([present, missing]);
    expectError(await putManifest(api, REPO, "broken-index", index), 400, "MANIFEST_BLOB_UNKNOWN");
    expectStatus(await api.get(`/v2/${REPO}/manifests/broken-index`), 404);
  });

  it("refuses an index whose manifest exists only in another repository", async () => {
    const elsewhere = await pushed("manifests/elsewhere", makeImage());
    const index = makeIndex([elsewhere]);
    expectError(await putManifest(api, REPO, "foreign-index", index), 400, "MANIFEST_BLOB_UNKNOWN");
  });
});

async function pushed(name: string, manifest: Manifest): Promise<Manifest> {
  await pushManifest(api, name, manifest);
  return manifest;
}

describe("Docker schema 2", () => {
  const REPO = "manifests/docker";

  it("accepts a Docker image manifest and serves it with its type", async () => {
    const image = makeImage({ docker: true, layers: 2 });
    await pushManifest(api, REPO, image, "latest");
    await expectManifest(REPO, "latest", image);
    await expectManifest(REPO, image.digest, image);
  });

  it("accepts a Docker manifest list", async () => {
    const a = await pushed(REPO, makeImage({ docker: true }));
    const b = await pushed(REPO, makeImage({ docker: true }));
    const list = makeIndex([a, b], { docker: true });
    expectStatus(await putManifest(api, REPO, "list", list), 201);
    await expectManifest(REPO, "list", list);
  });

  it("refuses schema 1 manifests with 400 MANIFEST_INVALID saying schema 1 is unsupported", async () => {
    const schema1 = {
      schemaVersion: 1,
      name: REPO,
      tag: "old",
      architecture: "amd64",
      fsLayers: [{ blobSum: sha256("layer") }],
      history: [{ v1Compatibility: JSON.stringify({ id: "a".repeat(64) }) }],
      signatures: [{ header: { alg: "ES256" }, signature: "c2lnbmF0dXJl", protected: "cHJvdGVjdGVk" }],
    };
    for (const type of [MediaTypes.DockerSchema1Signed, MediaTypes.DockerSchema1]) {
      const reply = await api.put(`/v2/${REPO}/manifests/old`, { headers: { "Content-Type": type }, body: encode(schema1, 3) });
      const error = expectError(reply, 400, "MANIFEST_INVALID");
      assert.match(String(error.message), /schema ?1|schema version 1|v1/i, `message: ${error.message}`);
      assert.match(String(error.message), /unsupported|not supported/i, `message: ${error.message}`);
    }
  });
});

describe("artifacts (image-spec 1.1)", () => {
  const REPO = "manifests/artifacts";

  it("the empty descriptor is the 2-byte `{}` with the well-known digest", () => {
    assert.equal(sha256(EMPTY_JSON), EMPTY_JSON_DIGEST);
    assert.equal(EMPTY_JSON.toString("base64"), EMPTY_JSON_DATA);
  });

  it("accepts an artifact with artifactType, the empty config and custom layers", async () => {
    const artifact = makeArtifact({
      artifactType: "application/vnd.example.sbom.v1",
      annotations: { "org.opencontainers.image.created": "2024-01-01T00:00:00Z" },
      layers: [blobOf('{"sbom":true}', "application/spdx+json"), blobOf(randomBytes(64), "application/vnd.example.bin")],
    });
    const reply = await pushManifest(api, REPO, artifact, "sbom");
    assert.equal(reply.header("docker-content-digest"), artifact.digest);
    await expectManifest(REPO, "sbom", artifact);
  });

  it("accepts an artifact whose only layer is the empty descriptor", async () => {
    const artifact = makeArtifact({
      artifactType: "application/vnd.example.marker",
      layers: [blobOf(EMPTY_JSON, MediaTypes.OciEmpty)],
    });
    await pushManifest(api, REPO, artifact, "marker");
    await expectManifest(REPO, "marker", artifact);
  });

  it("accepts an artifact typed by its config media type", async () => {
    const artifact = makeArtifact({ configMediaType: "application/vnd.example.config.v1+json" });
    await pushManifest(api, REPO, artifact, "typed-by-config");
    await expectManifest(REPO, "typed-by-config", artifact);
  });

  it("accepts an index with an artifactType", async () => {
    const a = await pushed(REPO, makeArtifact({ artifactType: "application/vnd.example.part" }));
    const index = makeIndex([a], { artifactType: "application/vnd.example.bundle", platforms: false });
    expectStatus(await putManifest(api, REPO, "bundle", index), 201);
    await expectManifest(REPO, "bundle", index);
  });
});

describe("subject (referrers push)", () => {
  const REPO = "manifests/subject";

  // spec: "a registry implementation that supports the referrers API MUST respond with the
  // response header OCI-Subject: <subject digest>"; "A registry MUST initially accept an
  // otherwise valid manifest with a subject field that references a manifest that does not exist"
  it("answers OCI-Subject with the subject's digest, even when the subject is not in the repository", async () => {
    const subject = makeImage();
    const signature = makeArtifact({ artifactType: "application/vnd.example.signature", subject: descriptorOf(subject) });
    const reply = await pushManifest(api, REPO, signature);
    assert.equal(reply.header("oci-subject"), subject.digest);
    await expectManifest(REPO, signature.digest, signature);
  });

  it("answers OCI-Subject for an index with a subject", async () => {
    const subject = await pushed(REPO, makeImage());
    const child = await pushed(REPO, makeArtifact({ artifactType: "application/vnd.example.part" }));
    const index = makeIndex([child], { subject: descriptorOf(subject), platforms: false });
    const reply = await putManifest(api, REPO, index.digest, index);
    expectStatus(reply, 201);
    assert.equal(reply.header("oci-subject"), subject.digest);
  });

  it("does not send OCI-Subject for a manifest without a subject", async () => {
    const reply = await pushManifest(api, REPO, makeImage(), "plain");
    assert.equal(reply.header("oci-subject"), null);
  });
});

describe("manifests that reference missing blobs", () => {
  const REPO = "manifests/missing";

  // spec: "When a manifest is rejected for this reason, it MUST result in one or more
  // MANIFEST_BLOB_UNKNOWN errors."
  it("a missing config answers 400 MANIFEST_BLOB_UNKNOWN", async () => {
    const image = makeImage();
    await pushBlobs(api, REPO, image.blobs.slice(1));
    expectError(await putManifest(api, REPO, "no-config", image), 400, "MANIFEST_BLOB_UNKNOWN");
    expectStatus(await api.head(`/v2/${REPO}/manifests/no-config`), 404);
  });

  it("a missing layer answers 400 MANIFEST_BLOB_UNKNOWN", async () => {
    const image = makeImage({ layers: 3 });
    await pushBlobs(api, REPO, [image.blobs[0]!, image.blobs[1]!, image.blobs[3]!]);
    expectError(await putManifest(api, REPO, "no-layer", image), 400, "MANIFEST_BLOB_UNKNOWN");
  });

  it("a blob held only by another repository does not count", async () => {
    const image = makeImage();
    await pushBlobs(api, "manifests/holder", image.blobs);
    await pushBlob(api, REPO, randomBytes(5));
    expectError(await putManifest(api, REPO, "foreign-blobs", image), 400, "MANIFEST_BLOB_UNKNOWN");
  });

  it("a Docker manifest with a missing layer answers 400 MANIFEST_BLOB_UNKNOWN", async () => {
    const image = makeImage({ docker: true });
    await pushBlobs(api, REPO, image.blobs.slice(0, 1));
    expectError(await putManifest(api, REPO, "docker-no-layer", image), 400, "MANIFEST_BLOB_UNKNOWN");
  });
});

describe("invalid manifests", () => {
  const REPO = "manifests/invalid";
  let config: ReturnType<typeof blobOf>;
  let layer: ReturnType<typeof blobOf>;

  before(async () => {
    config = blobOf(JSON.stringify({ architecture: "amd64", os: "linux", which: "invalid" }), MediaTypes.OciConfig);
    layer = blobOf(randomBytes(32), MediaTypes.OciLayerGzip);
    await pushBlobs(api, REPO, [config, layer]);
  });

  function put(body: string | Buffer, type: string = MediaTypes.OciManifest) {
    return api.put(`/v2/${REPO}/manifests/bad`, { headers: { "Content-Type": type }, body });
  }

  it("a body that is not JSON answers 400 MANIFEST_INVALID", async () => {
    for (const body of ["blablabla", "{", '{"schemaVersion": 2,', "\u0000\u0001", ""]) {
      expectError(await put(body), 400, "MANIFEST_INVALID");
    }
  });

  it("JSON that is not a manifest answers 400 MANIFEST_INVALID", async () => {
    const good = { schemaVersion: 2, mediaType: MediaTypes.OciManifest, config: descriptorOf(config), layers: [descriptorOf(layer)] };
    const cases: Array<[string, unknown]> = [
      ["an array", [good]],
      ["a string", "manifest"],
      ["null", null],
      ["an empty object", {}],
      ["schemaVersion 1", { ...good, schemaVersion: 1 }],
      ["schemaVersion 3", { ...good, schemaVersion: 3 }],
      ["schemaVersion as a string", { ...good, schemaVersion: "2" }],
      ["no config", { schemaVersion: 2, mediaType: MediaTypes.OciManifest, layers: [descriptorOf(layer)] }],
      ["config not an object", { ...good, config: "sha256:abc" }],
      ["layers not an array", { ...good, layers: descriptorOf(layer) }],
      ["a layer without digest", { ...good, layers: [{ mediaType: layer.mediaType, size: layer.size }] }],
      ["a layer with a malformed digest", { ...good, layers: [{ ...descriptorOf(layer), digest: "sha256:zz" }] }],
      ["a layer with a negative size", { ...good, layers: [{ ...descriptorOf(layer), size: -1 }] }],
      ["a layer with a fractional size", { ...good, layers: [{ ...descriptorOf(layer), size: 1.5 }] }],
      ["a layer without mediaType", { ...good, layers: [{ digest: layer.digest, size: layer.size }] }],
      ["a config with an invalid mediaType", { ...good, config: { ...descriptorOf(config), mediaType: "not a media type" } }],
    ];
    for (const [what, document] of cases) {
      const reply = await put(encode(document));
      assert.equal(reply.status, 400, `${what}: expected 400, got ${reply.status}: ${reply.text().slice(0, 200)}`);
      expectError(reply, 400, "MANIFEST_INVALID");
    }
  });

  it("an index body that is not an index answers 400 MANIFEST_INVALID", async () => {
    const cases: unknown[] = [
      { schemaVersion: 2, mediaType: MediaTypes.OciIndex },
      { schemaVersion: 2, mediaType: MediaTypes.OciIndex, manifests: {} },
      { schemaVersion: 2, mediaType: MediaTypes.OciIndex, manifests: [{ mediaType: MediaTypes.OciManifest, size: 10 }] },
    ];
    for (const document of cases) expectError(await put(encode(document), MediaTypes.OciIndex), 400, "MANIFEST_INVALID");
  });

  it("a manifest that is not valid UTF-8 answers 400 MANIFEST_INVALID saying so", async () => {
    const good = { schemaVersion: 2, mediaType: MediaTypes.OciManifest, config: descriptorOf(config), layers: [descriptorOf(layer)] };
    const text = JSON.stringify({ ...good, annotations: { note: "BAD" } });
    const body = Buffer.concat([Buffer.from(text.slice(0, text.indexOf("BAD"))), Buffer.from([0xff, 0xfe]), Buffer.from(text.slice(text.indexOf("BAD") + 3))]);
    const reply = await put(body);
    const error = expectError(reply, 400, "MANIFEST_INVALID");
    assert.match(String(error.message), /UTF-8/);
    const digest = sha256(body);
    expectError(await api.get(`/v2/${REPO}/manifests/${digest}`), 404, "MANIFEST_UNKNOWN");
  });

  it("nothing invalid was stored", async () => {
    expectError(await api.get(`/v2/${REPO}/manifests/bad`), 404, "MANIFEST_UNKNOWN");
  });
});

describe("tags on push", () => {
  const REPO = "manifests/tags";

  before(async () => {
    // blobs for the manifests below
    const img = makeImage();
    await pushManifest(api, REPO, img, "seed");
  });

  // spec: "<reference> as a tag MUST be at most 128 characters in length and MUST match the
  // following regular expression: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}"
  it("accepts tags at the edges of the tag grammar", async () => {
    for (const tag of ["a", "_underscore", "A.b-C_1", "0", "x".repeat(128), "UPPER", "v1.2.3-rc.1_build"]) {
      const img = makeImage();
      await pushManifest(api, REPO, img, tag);
      await expectManifest(REPO, tag, img);
    }
  });

  it("refuses a tag outside the grammar with 400 TAG_INVALID", async () => {
    const img = makeImage();
    await pushBlobs(api, REPO, img.blobs);
    for (const tag of [".dot", "-dash", "x".repeat(129), "a+b", "tag~1", "t%40g", "%C3%A9t%C3%A9"]) {
      expectError(await putManifest(api, REPO, tag, img), 400, "TAG_INVALID");
    }
  });
});

describe("GET and HEAD /v2/<name>/manifests/<reference> for what is not there", () => {
  const REPO = "manifests/absent";

  before(async () => {
    await pushManifest(api, REPO, makeImage(), "present");
  });

  // spec: "If the manifest is not found in the repository, the response code MUST be 404 Not Found."
  it("an unknown tag answers 404 MANIFEST_UNKNOWN", async () => {
    expectError(await api.get(`/v2/${REPO}/manifests/missing`), 404, "MANIFEST_UNKNOWN");
    const head = await api.head(`/v2/${REPO}/manifests/missing`);
    expectStatus(head, 404);
    assert.equal(head.body.length, 0);
  });

  it("an unknown digest answers 404 MANIFEST_UNKNOWN", async () => {
    expectError(await api.get(`/v2/${REPO}/manifests/${absentDigest()}`), 404, "MANIFEST_UNKNOWN");
    expectStatus(await api.head(`/v2/${REPO}/manifests/${absentDigest()}`), 404);
  });

  // The conformance suite asks for ".INVALID_MANIFEST_NAME" and requires a 404, not a 400.
  it("a reference that cannot be a tag answers 404 on GET and HEAD", async () => {
    expectError(await api.get(`/v2/${REPO}/manifests/.INVALID_MANIFEST_NAME`), 404, "MANIFEST_UNKNOWN");
    expectStatus(await api.head(`/v2/${REPO}/manifests/.INVALID_MANIFEST_NAME`), 404);
  });

  it("a malformed digest reference answers 400 DIGEST_INVALID", async () => {
    expectError(await api.get(`/v2/${REPO}/manifests/sha256:totallywrong`), 400, "DIGEST_INVALID");
    expectStatus(await api.head(`/v2/${REPO}/manifests/sha256:totallywrong`), 400);
  });

  // spec: "An attempt to pull a nonexistent repository MUST return response code 404 Not Found"
  it("a repository that does not exist answers 404", async () => {
    expectError(await api.get("/v2/manifests/never-pushed/manifests/latest"), 404, ["NAME_UNKNOWN", "MANIFEST_UNKNOWN"]);
    expectStatus(await api.head("/v2/manifests/never-pushed/manifests/latest"), 404);
  });

  it("a manifest pushed to one repository is not served from another", async () => {
    const img = makeImage();
    await pushManifest(api, "manifests/owner", img, "mine");
    expectError(await api.get(`/v2/${REPO}/manifests/${img.digest}`), 404, "MANIFEST_UNKNOWN");
    expectError(await api.get(`/v2/${REPO}/manifests/mine`), 404, "MANIFEST_UNKNOWN");
  });

  it("a blob digest is not a manifest", async () => {
    const digest = await pushBlob(api, REPO, randomBytes(20));
    expectError(await api.get(`/v2/${REPO}/manifests/${digest}`), 404, "MANIFEST_UNKNOWN");
  });
});

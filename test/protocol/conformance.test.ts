// The OCI distribution-spec conformance suite (conformance/01_pull_test.go, 02_push_test.go,
// 03_discovery_test.go, 04_management_test.go with setup.go), replayed step by step against one
// repository, in the suite's order: Pull, Push, Content Discovery, Content Management. The four
// workflows share one namespace as they do when the suite runs with all of them enabled, so
// their interactions (a blob deleted by one workflow and pushed again by the next, tags left by
// an earlier one) are exercised too. Automatic cross-mounting is on, as with
// OCI_AUTOMATIC_CROSSMOUNT=1.
//
// Test names are the suite's spec names. Where the suite accepts alternatives that would make it
// skip later checks (201 or 202 for a mount, a warning instead of a failure), these tests require
// the branch that runs every check, because Berth promises it.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import {
  Api,
  EMPTY_JSON,
  EMPTY_JSON_DIGEST,
  MediaTypes,
  SPEC_ERROR_CODES,
  errorsOf,
  expectStatus,
  pathOf,
  randomBytes,
  sha256,
  type Reply,
  registryPerFile,
} from "./support.js";

// ---------------------------------------------------------------------------------------------
// Test data, built the way setup.go builds it (our own code, same shapes).

interface TestBlob {
  content: Buffer;
  length: string;
  digest: string;
}

function testBlob(content: Buffer): TestBlob {
  return { content, length: String(content.length), digest: sha256(content) };
}

/** Go's json.MarshalIndent(v, "", "\t"), which the suite uses for every document. */
function marshalIndent(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value, null, "\t"));
}

const RANDOM_LETTERS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-";
function randomAuthor(n: number): string {
  const bytes = randomBytes(n);
  return Array.from(bytes, (b) => RANDOM_LETTERS[b % RANDOM_LETTERS.length]).join("");
}

// Each config gets a random author so every manifest built on one has its own digest. The suite
// uses indexes 0 to 4: [0] Pull, [1] Push, [2] and [4] Content Discovery ([4] is the referrers'
// subject), [3] Content Management (and the subject that Discovery never pushes).
const configs: TestBlob[] = Array.from({ length: 5 }, () =>
  testBlob(
    marshalIndent({
      author: randomAuthor(16),
      architecture: "amd64",
      os: "linux",
      rootfs: { type: "layers", diff_ids: [] },
    }),
  ),
);

// A gzip stream standing in for the suite's tiny tarball layer; registries never look inside.
const layerBlob = testBlob(gzipSync(Buffer.from("you bothered to find out what was in here. Congratulations!\n")));

/** Descriptors carry the suite's unknown field `newUnspecifiedField` (null when unset). */
function descriptor(fields: Record<string, unknown>, unspecified: string | null = null): Record<string, unknown> {
  return { ...fields, newUnspecifiedField: unspecified };
}

const layerDescriptors = [
  descriptor({ mediaType: MediaTypes.OciLayerGzip, digest: layerBlob.digest, size: layerBlob.content.length }),
];

function configDescriptor(c: TestBlob): Record<string, unknown> {
  return descriptor(
    {
      mediaType: MediaTypes.OciConfig,
      digest: c.digest,
      size: c.content.length,
      data: c.content.toString("base64"),
    },
    Buffer.from("hello world").toString("base64"),
  );
}

const manifests: TestBlob[] = configs.map((c) =>
  testBlob(
    marshalIndent({
      schemaVersion: 2,
      mediaType: MediaTypes.OciManifest,
      config: configDescriptor(c),
      layers: layerDescriptors,
    }),
  ),
);

// No mediaType field and no layers: the registry must take the type from Content-Type.
const emptyLayerManifest = testBlob(marshalIndent({ schemaVersion: 2, config: configDescriptor(configs[1]!), layers: [] }));

const nonexistentManifest = ".INVALID_MANIFEST_NAME";
const testBlobA = testBlob(randomBytes(42));
const testBlobB = testBlob(randomBytes(42));
const dummyDigest = sha256("hello world");

const emptyJSONDescriptor = descriptor({ mediaType: MediaTypes.OciEmpty, digest: sha256(EMPTY_JSON), size: EMPTY_JSON.length });
const testRefBlobA = testBlob(Buffer.from("NHL Peanut Butter on my NHL bagel"));
const testRefBlobB = testBlob(Buffer.from("NBA Strawberry Jam on my NBA croissant"));
const testRefArtifactTypeA = "application/vnd.nhl.peanut.butter.bagel";
const testRefArtifactTypeB = "application/vnd.nba.strawberry.jam.croissant";
const testRefArtifactTypeIndex = "application/vnd.food.stand";
const testAnnotationKey = "org.opencontainers.conformance.test";
const testAnnotationValues = new Map<string, string>();

function subjectOf(m: TestBlob): Record<string, unknown> {
  return descriptor({ mediaType: MediaTypes.OciManifest, digest: m.digest, size: m.content.length });
}

function referrer(document: Record<string, unknown>): TestBlob {
  const blob = testBlob(marshalIndent(document));
  const annotations = document.annotations as Record<string, string> | undefined;
  if (annotations) testAnnotationValues.set(blob.digest, annotations[testAnnotationKey]!);
  return blob;
}

// artifactType carried by config.mediaType
const refsManifestAConfigArtifact = referrer({
  schemaVersion: 2,
  mediaType: MediaTypes.OciManifest,
  config: descriptor({ mediaType: testRefArtifactTypeA, digest: testRefBlobA.digest, size: testRefBlobA.content.length }),
  layers: [emptyJSONDescriptor],
  subject: subjectOf(manifests[4]!),
  annotations: { [testAnnotationKey]: "test config a" },
});
const refsManifestBConfigArtifact = referrer({
  schemaVersion: 2,
  mediaType: MediaTypes.OciManifest,
  config: descriptor({ mediaType: testRefArtifactTypeB, digest: testRefBlobB.digest, size: testRefBlobB.content.length }),
  layers: [emptyJSONDescriptor],
  subject: subjectOf(manifests[4]!),
  annotations: { [testAnnotationKey]: "test config b" },
});
// artifactType field with the empty config
const refsManifestALayerArtifact = referrer({
  schemaVersion: 2,
  mediaType: MediaTypes.OciManifest,
  artifactType: testRefArtifactTypeA,
  config: emptyJSONDescriptor,
  layers: [descriptor({ mediaType: testRefArtifactTypeA, digest: testRefBlobA.digest, size: testRefBlobA.content.length })],
  subject: subjectOf(manifests[4]!),
  annotations: { [testAnnotationKey]: "test layer a" },
});
const refsManifestBLayerArtifact = referrer({
  schemaVersion: 2,
  mediaType: MediaTypes.OciManifest,
  artifactType: testRefArtifactTypeB,
  config: emptyJSONDescriptor,
  layers: [descriptor({ mediaType: testRefArtifactTypeB, digest: testRefBlobB.digest, size: testRefBlobB.content.length })],
  subject: subjectOf(manifests[4]!),
  annotations: { [testAnnotationKey]: "test layer b" },
});
// same as B, but its subject (manifests[3]) is never pushed to this repository
const refsManifestCLayerArtifact = referrer({
  schemaVersion: 2,
  mediaType: MediaTypes.OciManifest,
  artifactType: testRefArtifactTypeB,
  config: emptyJSONDescriptor,
  layers: [descriptor({ mediaType: testRefArtifactTypeB, digest: testRefBlobB.digest, size: testRefBlobB.content.length })],
  subject: subjectOf(manifests[3]!),
});
const refsIndexArtifact = referrer({
  schemaVersion: 2,
  mediaType: MediaTypes.OciIndex,
  artifactType: testRefArtifactTypeIndex,
  manifests: [
    descriptor({
      mediaType: MediaTypes.OciManifest,
      digest: refsManifestAConfigArtifact.digest,
      size: refsManifestAConfigArtifact.content.length,
    }),
    descriptor({
      mediaType: MediaTypes.OciManifest,
      digest: refsManifestALayerArtifact.digest,
      size: refsManifestALayerArtifact.content.length,
    }),
  ],
  subject: subjectOf(manifests[4]!),
  annotations: { [testAnnotationKey]: "test index" },
});

// Chunked blob: split just past the middle, as setupChunkedBlob does.
function chunksOf(blob: Buffer) {
  const cut = Math.floor(blob.length / 2) + 1;
  const chunk1 = blob.subarray(0, cut);
  const chunk2 = blob.subarray(cut);
  return {
    chunk1,
    chunk2,
    chunk1Range: `0-${chunk1.length - 1}`,
    chunk2Range: `${chunk1.length}-${blob.length - 1}`,
  };
}

// ---------------------------------------------------------------------------------------------

const NAMESPACE = "conformance/suite";
const CROSSMOUNT_NAMESPACE = `conformance-${randomUUID()}`;
const TEST_TAG_NAME = "tagtest0";
const EMPTY_LAYER_TEST_TAG = "emptylayer";

let api: Api;
registryPerFile((started) => ({ api } = started));

const blobPath = (digest: string, name = NAMESPACE) => `/v2/${name}/blobs/${digest}`;
const manifestPath = (reference: string, name = NAMESPACE) => `/v2/${name}/manifests/${reference}`;
const uploadsPath = (name = NAMESPACE) => `/v2/${name}/blobs/uploads/`;

function is2xx(status: number): boolean {
  return status >= 200 && status < 300;
}

function expect2xx(reply: Reply, what: string): void {
  assert.ok(is2xx(reply.status), `${what}: expected 2xx, got ${reply.status}: ${reply.text().slice(0, 300)}`);
}

/** The suite's teardown criterion: success, or one of the listed refusals. */
function expect2xxOr(reply: Reply, statuses: number[], what: string): void {
  assert.ok(
    is2xx(reply.status) || statuses.includes(reply.status),
    `${what}: expected 2xx or ${statuses.join("/")}, got ${reply.status}: ${reply.text().slice(0, 300)}`,
  );
}

/** The suite's "populate" step: POST for a session, PUT the whole blob to its Location. */
async function populateBlob(blob: TestBlob): Promise<Reply> {
  const post = await api.post(uploadsPath());
  return api.put(api.location(post), {
    query: { digest: blob.digest },
    headers: { "Content-Type": MediaTypes.OctetStream, "Content-Length": blob.length },
    body: blob.content,
  });
}

function putManifest(reference: string, content: Buffer, contentType: string = MediaTypes.OciManifest): Promise<Reply> {
  return api.put(manifestPath(reference), { headers: { "Content-Type": contentType }, body: content });
}

interface IndexBody {
  schemaVersion: number;
  mediaType: string;
  manifests: Array<{ mediaType: string; digest: string; size: number; artifactType?: string; annotations?: Record<string, string> }>;
}

// =============================================================================================

describe("Pull", () => {
  let tag = "";

  describe("Setup", () => {
    it("Populate registry with test blob (configs[0])", async () => {
      expect2xx(await populateBlob(configs[0]!), "config[0]");
    });

    it("Populate registry with test blob (configs[1])", async () => {
      expect2xx(await populateBlob(configs[1]!), "config[1]");
    });

    it("Populate registry with test layer", async () => {
      expect2xx(await populateBlob(layerBlob), "layer");
    });

    it("Populate registry with test manifest (manifests[0] by tag)", async () => {
      tag = TEST_TAG_NAME;
      expect2xx(await putManifest(tag, manifests[0]!.content), "manifest[0]");
    });

    it("Populate registry with test manifest (manifests[1] by digest)", async () => {
      expect2xx(await putManifest(manifests[1]!.digest, manifests[1]!.content), "manifest[1]");
    });
  });

  describe("Pull blobs", () => {
    it("HEAD request to nonexistent blob should result in 404 response", async () => {
      expectStatus(await api.head(blobPath(dummyDigest)), 404);
    });

    it("HEAD request to existing blob should yield 200", async () => {
      const reply = await api.head(blobPath(configs[0]!.digest));
      expectStatus(reply, 200);
      const digest = reply.header("docker-content-digest");
      if (digest !== null) assert.equal(digest, configs[0]!.digest);
    });

    it("GET nonexistent blob should result in 404 response", async () => {
      expectStatus(await api.get(blobPath(dummyDigest)), 404);
    });

    it("GET request to existing blob URL should yield 200", async () => {
      const reply = await api.get(blobPath(configs[0]!.digest));
      expectStatus(reply, 200);
      assert.deepEqual(reply.body, configs[0]!.content);
    });
  });

  describe("Pull manifests", () => {
    const accept = { Accept: MediaTypes.OciManifest };

    it("HEAD request to nonexistent manifest should return 404", async () => {
      expectStatus(await api.head(manifestPath(nonexistentManifest)), 404);
    });

    it("HEAD request to manifest[0] path (digest) should yield 200 response", async () => {
      const reply = await api.head(manifestPath(manifests[0]!.digest), { headers: accept });
      expectStatus(reply, 200);
      const digest = reply.header("docker-content-digest");
      if (digest !== null) assert.equal(digest, manifests[0]!.digest);
    });

    it("HEAD request to manifest[1] path (digest) should yield 200 response", async () => {
      const reply = await api.head(manifestPath(manifests[1]!.digest), { headers: accept });
      expectStatus(reply, 200);
      const digest = reply.header("docker-content-digest");
      if (digest !== null) assert.equal(digest, manifests[1]!.digest);
    });

    it("HEAD request to manifest path (tag) should yield 200 response", async () => {
      assert.notEqual(tag, "");
      const reply = await api.head(manifestPath(tag), { headers: accept });
      expectStatus(reply, 200);
      const digest = reply.header("docker-content-digest");
      if (digest !== null) assert.equal(digest, manifests[0]!.digest);
    });

    it("GET nonexistent manifest should return 404", async () => {
      expectStatus(await api.get(manifestPath(nonexistentManifest)), 404);
    });

    it("GET request to manifest[0] path (digest) should yield 200 response", async () => {
      const reply = await api.get(manifestPath(manifests[0]!.digest), { headers: accept });
      expectStatus(reply, 200);
      assert.deepEqual(reply.body, manifests[0]!.content);
    });

    it("GET request to manifest[1] path (digest) should yield 200 response", async () => {
      const reply = await api.get(manifestPath(manifests[1]!.digest), { headers: accept });
      expectStatus(reply, 200);
      assert.deepEqual(reply.body, manifests[1]!.content);
    });

    it("GET request to manifest path (tag) should yield 200 response", async () => {
      assert.notEqual(tag, "");
      const reply = await api.get(manifestPath(tag), { headers: accept });
      expectStatus(reply, 200);
      assert.deepEqual(reply.body, manifests[0]!.content);
    });
  });

  describe("Error codes", () => {
    it("400 response body should contain OCI-conforming JSON message", async () => {
      const reply = await api.get(manifestPath("sha256:totallywrong"));
      expectStatus(reply, [400, 404]);
      if (reply.status === 400) {
        const errors = errorsOf(reply);
        assert.ok(SPEC_ERROR_CODES.has(errors[0]!.code), `unexpected code ${errors[0]!.code}`);
      }
    });
  });

  // deleteManifestBeforeBlobs is the suite's default: manifests go first.
  describe("Teardown", () => {
    it("Delete manifest[0] created in setup", async () => {
      expect2xxOr(await api.delete(manifestPath(manifests[0]!.digest)), [405], "manifest[0]");
    });

    it("Delete manifest[1] created in setup", async () => {
      expect2xxOr(await api.delete(manifestPath(manifests[1]!.digest)), [405], "manifest[1]");
    });

    it("Delete config[0] blob created in setup", async () => {
      expect2xxOr(await api.delete(blobPath(configs[0]!.digest)), [404, 405], "config[0]");
    });

    it("Delete config[1] blob created in setup", async () => {
      expect2xxOr(await api.delete(blobPath(configs[1]!.digest)), [404, 405], "config[1]");
    });

    it("Delete layer blob created in setup", async () => {
      expect2xxOr(await api.delete(blobPath(layerBlob.digest)), [404, 405], "layer");
    });
  });
});

// =============================================================================================

describe("Push", () => {
  let lastResponse: Reply | undefined;
  let prevResponse: Reply | undefined;
  let emptyLayerManifestRef = "";

  describe("Blob Upload Streamed", () => {
    it("PATCH request with blob in body should yield 202 response", async () => {
      const post = await api.post(uploadsPath());
      assert.ok(post.header("location"), "POST should return a Location");
      const reply = await api.patch(api.location(post), {
        headers: { "Content-Type": MediaTypes.OctetStream },
        body: testBlobA.content,
      });
      expectStatus(reply, 202);
      lastResponse = reply;
    });

    it("PUT request to session URL with digest should yield 201 response", async () => {
      assert.ok(lastResponse);
      const reply = await api.put(api.location(lastResponse), {
        query: { digest: testBlobA.digest },
        headers: { "Content-Type": MediaTypes.OctetStream },
      });
      expectStatus(reply, 201);
      assert.ok(reply.header("location"), "201 should carry a Location");
    });
  });

  describe("Blob Upload Monolithic", () => {
    it("GET nonexistent blob should result in 404 response", async () => {
      expectStatus(await api.get(blobPath(dummyDigest)), 404);
    });

    // The suite accepts 201 or 202; Berth supports single-POST uploads, so 201.
    it("POST request with digest and blob should yield a 201 or 202", async () => {
      const reply = await api.post(uploadsPath(), {
        query: { digest: configs[1]!.digest },
        headers: { "Content-Type": MediaTypes.OctetStream, "Content-Length": configs[1]!.length },
        body: configs[1]!.content,
      });
      assert.ok(reply.header("location"), "should return a Location");
      expectStatus(reply, 201);
      lastResponse = reply;
    });

    it("GET request to blob URL from prior request should yield 200 or 404 based on response code", async () => {
      assert.ok(lastResponse);
      const reply = await api.get(blobPath(configs[1]!.digest));
      expectStatus(reply, lastResponse.status === 202 ? 404 : 200);
    });

    it("POST request should yield a session ID", async () => {
      const reply = await api.post(uploadsPath());
      expectStatus(reply, 202);
      lastResponse = reply;
    });

    it("PUT upload of a blob should yield a 201 Response", async () => {
      assert.ok(lastResponse);
      const reply = await api.put(api.location(lastResponse), {
        query: { digest: configs[1]!.digest },
        headers: { "Content-Type": MediaTypes.OctetStream, "Content-Length": configs[1]!.length },
        body: configs[1]!.content,
      });
      assert.ok(reply.header("location"), "should return a Location");
      expectStatus(reply, 201);
    });

    it("GET request to existing blob should yield 200 response", async () => {
      expectStatus(await api.get(blobPath(configs[1]!.digest)), 200);
    });

    it("PUT upload of a layer blob should yield a 201 Response", async () => {
      const post = await api.post(uploadsPath());
      const reply = await api.put(api.location(post), {
        query: { digest: layerBlob.digest },
        headers: { "Content-Type": MediaTypes.OctetStream, "Content-Length": layerBlob.length },
        body: layerBlob.content,
      });
      assert.ok(reply.header("location"), "should return a Location");
      expectStatus(reply, 201);
    });

    it("GET request to existing layer should yield 200 response", async () => {
      expectStatus(await api.get(blobPath(layerBlob.digest)), 200);
    });
  });

  describe("Blob Upload Chunked", () => {
    let chunks = chunksOf(testBlobB.content);
    let chunkedBlob = testBlobB;

    it("Out-of-order blob upload should return 416", async () => {
      const post = await api.post(uploadsPath(), { headers: { "Content-Length": "0" } });
      assert.ok(post.header("location"), "POST should return a Location");
      // A registry may ask for bigger chunks; rebuild the blob then, as the suite does.
      const minimum = post.header("oci-chunk-min-length");
      if (minimum !== null) {
        const min = Number.parseInt(minimum, 10);
        assert.ok(Number.isInteger(min) && min >= 0, `OCI-Chunk-Min-Length is not a number: ${minimum}`);
        if (min > chunks.chunk1.length) {
          chunkedBlob = testBlob(randomBytes(min * 2 - 2));
          chunks = chunksOf(chunkedBlob.content);
        }
      }
      const reply = await api.patch(api.location(post), {
        headers: {
          "Content-Type": MediaTypes.OctetStream,
          "Content-Length": String(chunks.chunk2.length),
          "Content-Range": chunks.chunk2Range,
        },
        body: chunks.chunk2,
      });
      expectStatus(reply, 416);
    });

    it("PATCH request with first chunk should return 202", async () => {
      const post = await api.post(uploadsPath(), { headers: { "Content-Length": "0" } });
      assert.ok(post.header("location"), "POST should return a Location");
      prevResponse = post;
      const reply = await api.patch(api.location(post), {
        headers: {
          "Content-Type": MediaTypes.OctetStream,
          "Content-Length": String(chunks.chunk1.length),
          "Content-Range": chunks.chunk1Range,
        },
        body: chunks.chunk1,
      });
      expectStatus(reply, 202);
      assert.equal(reply.header("range"), chunks.chunk1Range);
      lastResponse = reply;
    });

    it("Retry previous blob chunk should return 416", async () => {
      assert.ok(prevResponse);
      const reply = await api.patch(api.location(prevResponse), {
        headers: {
          "Content-Type": MediaTypes.OctetStream,
          "Content-Length": String(chunks.chunk1.length),
          "Content-Range": chunks.chunk1Range,
        },
        body: chunks.chunk1,
      });
      expectStatus(reply, 416);
    });

    it("Get on stale blob upload should return 204 with a range and location", async () => {
      assert.ok(prevResponse);
      const reply = await api.get(api.location(prevResponse));
      expectStatus(reply, 204);
      assert.ok(reply.header("location"), "should return a Location");
      assert.equal(reply.header("range"), chunks.chunk1Range);
      lastResponse = reply;
    });

    it("PATCH request with second chunk should return 202", async () => {
      assert.ok(lastResponse);
      const reply = await api.patch(api.location(lastResponse), {
        headers: {
          "Content-Type": MediaTypes.OctetStream,
          "Content-Length": String(chunks.chunk2.length),
          "Content-Range": chunks.chunk2Range,
        },
        body: chunks.chunk2,
      });
      expectStatus(reply, 202);
      assert.ok(reply.header("location"), "should return a Location");
      lastResponse = reply;
    });

    it("PUT request with digest should return 201", async () => {
      assert.ok(lastResponse);
      const reply = await api.put(api.location(lastResponse), {
        query: { digest: chunkedBlob.digest },
        headers: { "Content-Type": MediaTypes.OctetStream, "Content-Length": "0" },
      });
      expectStatus(reply, 201);
      assert.ok(reply.header("location"), "should return a Location");
    });
  });

  describe("Cross-Repository Blob Mount", () => {
    it("Cross-mounting of a blob without the from argument should yield session id", async () => {
      const reply = await api.post(uploadsPath(CROSSMOUNT_NAMESPACE), { query: { mount: dummyDigest } });
      expectStatus(reply, 202);
      assert.ok(reply.header("location"), "should return a Location");
    });

    // The suite accepts 201 or 202; Berth mounts, so 201 (which also makes the next check run).
    it("POST request to mount another repository's blob should return 201 or 202", async () => {
      const reply = await api.post(uploadsPath(CROSSMOUNT_NAMESPACE), {
        query: { mount: testBlobA.digest, from: NAMESPACE },
      });
      expectStatus(reply, 201);
      lastResponse = reply;
    });

    it("GET request to test digest within cross-mount namespace should return 200", async () => {
      assert.ok(lastResponse && lastResponse.status === 201);
      const location = api.location(lastResponse);
      assert.equal(pathOf(location), `/v2/${CROSSMOUNT_NAMESPACE}/blobs/${testBlobA.digest}`);
      const reply = await api.get(location);
      expectStatus(reply, 200);
      assert.deepEqual(reply.body, testBlobA.content);
    });

    // Only reached by the suite after a 202 above; a fresh unknown digest takes that path here.
    it("Cross-mounting of nonexistent blob should yield session id", async () => {
      const reply = await api.post(uploadsPath(CROSSMOUNT_NAMESPACE), {
        query: { mount: sha256(`nonexistent ${randomUUID()}`), from: NAMESPACE },
      });
      expectStatus(reply, 202);
      assert.ok(pathOf(api.location(reply)).startsWith(`/v2/${CROSSMOUNT_NAMESPACE}/blobs/uploads/`));
    });

    it("Cross-mounting without from, and automatic content discovery enabled should return a 201", async () => {
      const reply = await api.post(uploadsPath(CROSSMOUNT_NAMESPACE), { query: { mount: testBlobA.digest } });
      expectStatus(reply, 201);
    });
  });

  describe("Manifest Upload", () => {
    it("GET nonexistent manifest should return 404", async () => {
      expectStatus(await api.get(manifestPath(nonexistentManifest)), 404);
    });

    it("PUT should accept a manifest upload", async () => {
      for (let i = 0; i < 4; i++) {
        const reply = await putManifest(`test${i}`, manifests[1]!.content);
        assert.ok(reply.header("location"), `test${i}: should return a Location`);
        expectStatus(reply, 201, `test${i}`);
      }
    });

    // The suite only warns when this is refused; Berth must accept it.
    it("Registry should accept a manifest upload with no layers", async () => {
      const reply = await putManifest(EMPTY_LAYER_TEST_TAG, emptyLayerManifest.content);
      expectStatus(reply, 201);
      emptyLayerManifestRef = reply.header("location") ?? "";
      assert.notEqual(emptyLayerManifestRef, "");
    });

    it("GET request to manifest URL (digest) should yield 200 response", async () => {
      const reply = await api.get(manifestPath(manifests[1]!.digest), { headers: { Accept: MediaTypes.OciManifest } });
      expectStatus(reply, 200);
      assert.deepEqual(reply.body, manifests[1]!.content);
    });
  });

  describe("Teardown", () => {
    it("Delete manifest created in tests", async () => {
      expect2xxOr(await api.delete(manifestPath(manifests[1]!.digest)), [405], "manifest[1]");
      assert.notEqual(emptyLayerManifestRef, "");
      expect2xxOr(await api.delete(manifestPath(emptyLayerManifest.digest)), [405], "empty-layer manifest");
    });

    it("Delete config blob created in tests", async () => {
      expect2xxOr(await api.delete(blobPath(configs[1]!.digest)), [404, 405], "config[1]");
    });

    it("Delete layer blob created in setup", async () => {
      expect2xxOr(await api.delete(blobPath(layerBlob.digest)), [404, 405], "layer");
    });
  });
});

// =============================================================================================

describe("Content Discovery", () => {
  let numTags = 4;
  let tagList: string[] = [];

  const getTagList = (reply: Reply): string[] => {
    try {
      const body = reply.json<{ tags?: string[] }>();
      return body.tags ?? [];
    } catch {
      return [];
    }
  };

  describe("Setup", () => {
    it("Populate registry with test blob", async () => {
      expect2xx(await populateBlob(configs[2]!), "config[2]");
    });

    it("Populate registry with test layer", async () => {
      expect2xx(await populateBlob(layerBlob), "layer");
    });

    it("Populate registry with test tags", async () => {
      for (let i = 0; i < numTags; i++) {
        expect2xx(await putManifest(`test${i}`, manifests[2]!.content), `test${i}`);
      }
      tagList = getTagList(await api.get(`/v2/${NAMESPACE}/tags/list`));
    });

    it("References setup", async () => {
      assert.equal(sha256(EMPTY_JSON), EMPTY_JSON_DIGEST, "the empty JSON descriptor digest");
      expect2xx(await populateBlob(testBlob(EMPTY_JSON)), "empty JSON blob");
      // reference blob before the subject is pushed
      expect2xx(await populateBlob(testRefBlobA), "ref blob A");

      let reply = await putManifest(refsManifestAConfigArtifact.digest, refsManifestAConfigArtifact.content);
      expect2xx(reply, "refs manifest A (config artifact)");
      assert.equal(reply.header("oci-subject"), manifests[4]!.digest);

      reply = await putManifest(refsManifestALayerArtifact.digest, refsManifestALayerArtifact.content);
      expect2xx(reply, "refs manifest A (layer artifact)");
      assert.equal(reply.header("oci-subject"), manifests[4]!.digest);

      reply = await putManifest(refsIndexArtifact.digest, refsIndexArtifact.content, MediaTypes.OciIndex);
      expect2xx(reply, "refs index");
      assert.equal(reply.header("oci-subject"), manifests[4]!.digest);

      expect2xx(await populateBlob(configs[4]!), "config[4]");
      expect2xx(await populateBlob(layerBlob), "layer");
      expect2xx(await putManifest(TEST_TAG_NAME, manifests[4]!.content), "subject manifest[4]");

      // reference blob after the subject is pushed
      expect2xx(await populateBlob(testRefBlobB), "ref blob B");

      reply = await putManifest(refsManifestBConfigArtifact.digest, refsManifestBConfigArtifact.content);
      expect2xx(reply, "refs manifest B (config artifact)");
      assert.equal(reply.header("oci-subject"), manifests[4]!.digest);

      reply = await putManifest(refsManifestBLayerArtifact.digest, refsManifestBLayerArtifact.content);
      expect2xx(reply, "refs manifest B (layer artifact)");
      assert.equal(reply.header("oci-subject"), manifests[4]!.digest);

      reply = await putManifest(refsManifestCLayerArtifact.digest, refsManifestCLayerArtifact.content);
      expect2xx(reply, "refs manifest C (nonexistent subject)");
      assert.equal(reply.header("oci-subject"), manifests[3]!.digest);
    });
  });

  describe("Test content discovery endpoints (listing tags)", () => {
    it("GET request to list tags should yield 200 response", async () => {
      const reply = await api.get(`/v2/${NAMESPACE}/tags/list`);
      expectStatus(reply, 200);
      tagList = getTagList(reply);
      numTags = tagList.length;
      // test0..test3 from this workflow and tagtest0 from the references setup; the Pull and
      // Push workflows' tags went away with the manifests they pointed to.
      assert.deepEqual(tagList, ["tagtest0", "test0", "test1", "test2", "test3"]);
    });

    it("GET number of tags should be limitable by `n` query parameter", async () => {
      const numResults = Math.floor(numTags / 2);
      const reply = await api.get(`/v2/${NAMESPACE}/tags/list`, { query: { n: String(numResults) } });
      expectStatus(reply, 200);
      tagList = getTagList(reply);
      assert.equal(tagList.length, numResults);
    });

    it("GET start of tag is set by `last` query parameter", async () => {
      const numResults = Math.floor(numTags / 2);
      const first = getTagList(await api.get(`/v2/${NAMESPACE}/tags/list`, { query: { n: String(numResults) } }));
      const last = first[numResults - 1]!;
      const reply = await api.get(`/v2/${NAMESPACE}/tags/list`, { query: { n: String(numResults), last } });
      expectStatus(reply, 200);
      const next = getTagList(reply);
      // The suite's own assertion here only re-checks the first page; ours checks the second.
      assert.ok(next.length <= numResults);
      assert.ok(!next.includes(last), `"last" (${last}) must not be repeated: ${next.join(",")}`);
      for (const t of next) assert.ok(t > last, `${t} should sort after ${last}`);
    });
  });

  describe("Test content discovery endpoints (listing references)", () => {
    const referrersPath = (digest: string) => `/v2/${NAMESPACE}/referrers/${digest}`;

    it("GET request to nonexistent blob should result in empty 200 response", async () => {
      const reply = await api.get(referrersPath(dummyDigest));
      expectStatus(reply, 200);
      assert.equal(reply.header("content-type"), MediaTypes.OciIndex);
      assert.equal(reply.json<IndexBody>().manifests.length, 0);
    });

    it("GET request to existing blob should yield 200", async () => {
      const reply = await api.get(referrersPath(manifests[4]!.digest));
      expectStatus(reply, 200);
      assert.equal(reply.header("content-type"), MediaTypes.OciIndex);
      const index = reply.json<IndexBody>();
      assert.equal(index.manifests.length, 5);
      assert.notEqual(index.manifests[0]!.digest, index.manifests[1]!.digest);
      for (const m of index.manifests) {
        assert.equal(Object.keys(m.annotations ?? {}).length, 1, `annotations of ${m.digest}`);
        assert.equal(m.annotations![testAnnotationKey], testAnnotationValues.get(m.digest));
      }
    });

    // The suite tolerates an unfiltered answer with a warning; Berth filters.
    it("GET request to existing blob with filter should yield 200", async () => {
      const reply = await api.get(referrersPath(manifests[4]!.digest), { query: { artifactType: testRefArtifactTypeA } });
      expectStatus(reply, 200);
      assert.equal(reply.header("content-type"), MediaTypes.OciIndex);
      assert.equal(reply.header("oci-filters-applied"), "artifactType");
      const index = reply.json<IndexBody>();
      assert.equal(index.manifests.length, 2);
      for (const m of index.manifests) {
        assert.equal(Object.keys(m.annotations ?? {}).length, 1, `annotations of ${m.digest}`);
        assert.equal(m.annotations![testAnnotationKey], testAnnotationValues.get(m.digest));
      }
    });

    it("GET request to missing manifest should yield 200", async () => {
      const reply = await api.get(referrersPath(manifests[3]!.digest));
      expectStatus(reply, 200);
      assert.equal(reply.header("content-type"), MediaTypes.OciIndex);
      const index = reply.json<IndexBody>();
      assert.equal(index.manifests.length, 1);
      assert.equal(index.manifests[0]!.digest, refsManifestCLayerArtifact.digest);
    });
  });

  describe("Teardown", () => {
    it("Delete created manifest & associated tags", async () => {
      const references = [
        refsIndexArtifact.digest,
        manifests[2]!.digest,
        manifests[4]!.digest,
        refsManifestAConfigArtifact.digest,
        refsManifestALayerArtifact.digest,
        TEST_TAG_NAME,
        refsManifestBConfigArtifact.digest,
        refsManifestBLayerArtifact.digest,
        refsManifestCLayerArtifact.digest,
      ];
      for (const ref of references) {
        expect2xxOr(await api.delete(manifestPath(ref)), [404, 405], `DELETE manifest ${ref}`);
      }
    });

    // No 404 allowed here by the suite: the blob is still in the repository.
    it("Delete config blob created in tests", async () => {
      expect2xxOr(await api.delete(blobPath(configs[2]!.digest)), [405], "config[2]");
    });

    it("Delete layer blob created in setup", async () => {
      expect2xxOr(await api.delete(blobPath(layerBlob.digest)), [405], "layer");
    });

    it("References teardown", async () => {
      const deletions = [
        manifestPath(refsIndexArtifact.digest),
        manifestPath(refsManifestAConfigArtifact.digest),
        manifestPath(refsManifestALayerArtifact.digest),
        manifestPath(manifests[4]!.digest),
        manifestPath(refsManifestBConfigArtifact.digest),
        manifestPath(refsManifestBLayerArtifact.digest),
        blobPath(configs[4]!.digest),
        blobPath(testRefBlobA.digest),
        blobPath(testRefBlobB.digest),
        blobPath(EMPTY_JSON_DIGEST),
      ];
      for (const path of deletions) expect2xxOr(await api.delete(path), [404, 405], `DELETE ${path}`);
    });
  });
});

// =============================================================================================

describe("Content Management", () => {
  const defaultTagName = "tagtest0";
  let tagToDelete = "";
  let numTags = 0;
  let blobDeleteAllowed = true;

  describe("Setup", () => {
    it("Populate registry with test config blob", async () => {
      expect2xx(await populateBlob(configs[3]!), "config[3]");
    });

    it("Populate registry with test layer", async () => {
      expect2xx(await populateBlob(layerBlob), "layer");
    });

    it("Populate registry with test tag", async () => {
      tagToDelete = defaultTagName;
      expect2xx(await putManifest(tagToDelete, manifests[3]!.content), "manifest[3]");
    });

    it("Check how many tags there are before anything gets deleted", async () => {
      const reply = await api.get(`/v2/${NAMESPACE}/tags/list`);
      expectStatus(reply, 200);
      numTags = reply.json<{ tags: string[] }>().tags.length;
      assert.equal(numTags, 1, "only tagtest0 is left in the shared namespace");
    });
  });

  describe("Manifest delete", () => {
    // 400 (UNSUPPORTED) and 405 are the suite's "tag deletion disabled" answers; Berth deletes.
    it("DELETE request to manifest tag should return 202, unless tag deletion is disallowed (400/405)", async () => {
      const reply = await api.delete(manifestPath(tagToDelete));
      expectStatus(reply, 202);
    });

    it("DELETE request to manifest (digest) should yield 202 response unless already deleted", async () => {
      const reply = await api.delete(manifestPath(manifests[3]!.digest));
      expectStatus(reply, [202, 404]);
    });

    it("GET request to deleted manifest URL should yield 404 response, unless delete is disallowed", async () => {
      const reply = await api.get(manifestPath(manifests[3]!.digest));
      expectStatus(reply, 404);
    });

    it("GET request to tags list should reflect manifest deletion", async () => {
      const reply = await api.get(`/v2/${NAMESPACE}/tags/list`);
      expectStatus(reply, 200);
      const tags = reply.json<{ tags: string[] | null }>().tags ?? [];
      assert.ok(tags.length < numTags, `expected fewer than ${numTags} tags, got ${JSON.stringify(tags)}`);
    });
  });

  describe("Blob delete", () => {
    it("DELETE request to blob URL should yield 202 response", async () => {
      let reply = await api.delete(blobPath(configs[3]!.digest));
      expectStatus(reply, [202, 404, 405], "config blob");
      reply = await api.delete(blobPath(layerBlob.digest));
      expectStatus(reply, [202, 404, 405], "layer blob");
      if (reply.status === 405) blobDeleteAllowed = false;
      // Berth allows blob deletion.
      assert.ok(blobDeleteAllowed, "blob deletion should be enabled");
    });

    it("GET request to deleted blob URL should yield 404 response", async () => {
      expectStatus(await api.get(blobPath(configs[3]!.digest)), 404);
    });
  });
});

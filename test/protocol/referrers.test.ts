// The referrers API (end-12a, end-12b): GET /v2/<name>/referrers/<digest>[?artifactType=].
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startRegistry, type RunningRegistry } from "../helpers/registry.js";
import {
  Api,
  MediaTypes,
  absentDigest,
  blobOf,
  descriptorOf,
  expectError,
  expectStatus,
  makeArtifact,
  makeImage,
  makeIndex,
  nextLink,
  pushManifest,
  putManifest,
  type Manifest,
  type Reply,
} from "./support.js";

let registry: RunningRegistry;
let api: Api;

const REPO = "referrers/app";
const SBOM = "application/vnd.example.sbom.v1";
const SIGNATURE = "application/vnd.example.signature.v1+json";
const CONFIG_TYPE = "application/vnd.example.config-typed.v1+json";

interface ReferrerDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

interface ReferrersIndex {
  schemaVersion: number;
  mediaType?: string;
  manifests: ReferrerDescriptor[];
}

const subject = makeImage();
const otherSubject = makeImage();
const sbom = makeArtifact({ artifactType: SBOM, subject: descriptorOf(subject), annotations: { "org.example.sbom.format": "json", "org.opencontainers.image.created": "2024-01-01T00:00:00Z" } });
const signature = makeArtifact({ artifactType: SIGNATURE, subject: descriptorOf(subject), annotations: { "org.example.signature.fingerprint": "abcd" } });
// no artifactType: the referrers entry takes the config's media type
const configTyped = makeArtifact({ configMediaType: CONFIG_TYPE, subject: descriptorOf(subject), annotations: { "org.example.kind": "config-typed" } });
let indexWithType: Manifest;
let indexWithoutType: Manifest;
const unrelated = makeArtifact({ artifactType: SBOM, subject: descriptorOf(otherSubject) });
const noAnnotations = makeArtifact({ artifactType: "application/vnd.example.bare", subject: descriptorOf(subject) });

before(async () => {
  registry = await startRegistry();
  api = new Api(registry.url);
  await pushManifest(api, REPO, subject, "v1");
  await pushManifest(api, REPO, sbom);
  await pushManifest(api, REPO, signature, "signature-tagged");
  await pushManifest(api, REPO, configTyped);
  await pushManifest(api, REPO, noAnnotations);
  await pushManifest(api, REPO, unrelated);
  const part = makeArtifact({ artifactType: "application/vnd.example.part" });
  await pushManifest(api, REPO, part);
  indexWithType = makeIndex([part], {
    artifactType: "application/vnd.example.bundle",
    subject: descriptorOf(subject),
    annotations: { "org.example.index": "typed" },
    platforms: false,
  });
  indexWithoutType = makeIndex([part], {
    subject: descriptorOf(subject),
    annotations: { "org.example.index": "untyped" },
    platforms: false,
  });
  expectStatus(await putManifest(api, REPO, indexWithType.digest, indexWithType), 201);
  expectStatus(await putManifest(api, REPO, indexWithoutType.digest, indexWithoutType), 201);
  // the same subject in another repository: its referrers must not leak into REPO's list
  await pushManifest(api, "referrers/elsewhere", subject);
  await pushManifest(api, "referrers/elsewhere", makeArtifact({ artifactType: SBOM, subject: descriptorOf(subject) }));
});

after(async () => {
  await registry?.close();
});

function referrers(digest: string, query: Record<string, string> = {}, name = REPO): Promise<Reply> {
  return api.get(`/v2/${name}/referrers/${digest}`, { query });
}

/** Checks the response is an image index and returns its descriptors, following Link pages. */
async function listOf(reply: Reply): Promise<ReferrerDescriptor[]> {
  const all: ReferrerDescriptor[] = [];
  let current: Reply | null = reply;
  while (current !== null) {
    expectStatus(current, 200);
    // spec: "The Content-Type header MUST be set to application/vnd.oci.image.index.v1+json."
    assert.equal(current.header("content-type"), MediaTypes.OciIndex);
    const body: ReferrersIndex = current.json<ReferrersIndex>();
    assert.equal(body.schemaVersion, 2);
    if (body.mediaType !== undefined) assert.equal(body.mediaType, MediaTypes.OciIndex);
    assert.ok(Array.isArray(body.manifests), `"manifests" should be an array: ${current.text()}`);
    all.push(...body.manifests);
    const next = nextLink(current);
    current = next === null ? null : await api.get(next);
  }
  return all;
}

function byDigest(list: ReferrerDescriptor[]): Map<string, ReferrerDescriptor> {
  const map = new Map<string, ReferrerDescriptor>();
  for (const d of list) {
    assert.ok(!map.has(d.digest), `duplicate referrer ${d.digest}`);
    map.set(d.digest, d);
  }
  return map;
}

describe("GET /v2/<name>/referrers/<digest>", () => {
  // spec: "Each descriptor is of an image manifest or index in the same <name> namespace with a
  // subject field that specifies the value of <digest>."
  it("lists every manifest and index whose subject is the digest, and nothing else", async () => {
    const list = byDigest(await listOf(await referrers(subject.digest)));
    const expected = [sbom, signature, configTyped, noAnnotations, indexWithType, indexWithoutType];
    assert.deepEqual([...list.keys()].sort(), expected.map((m) => m.digest).sort());
    assert.ok(!list.has(unrelated.digest));
  });

  it("describes each referrer with its media type, digest and size", async () => {
    const list = byDigest(await listOf(await referrers(subject.digest)));
    for (const m of [sbom, signature, configTyped, noAnnotations, indexWithType, indexWithoutType]) {
      const d = list.get(m.digest)!;
      assert.equal(d.mediaType, m.mediaType, `mediaType of ${m.digest}`);
      assert.equal(d.size, m.size, `size of ${m.digest}`);
    }
  });

  // spec: "The descriptors MUST include an artifactType field that is set to the value of the
  // artifactType in the image manifest or index, if present. If the artifactType is empty or
  // missing in the image manifest, the value of artifactType MUST be set to the config descriptor
  // mediaType value. If the artifactType is empty or missing in an index, the artifactType MUST be
  // omitted."
  it("sets artifactType from the manifest, from the config media type, or omits it for an untyped index", async () => {
    const list = byDigest(await listOf(await referrers(subject.digest)));
    assert.equal(list.get(sbom.digest)!.artifactType, SBOM);
    assert.equal(list.get(signature.digest)!.artifactType, SIGNATURE);
    assert.equal(list.get(configTyped.digest)!.artifactType, CONFIG_TYPE);
    assert.equal(list.get(indexWithType.digest)!.artifactType, "application/vnd.example.bundle");
    assert.ok(!("artifactType" in list.get(indexWithoutType.digest)!), "an untyped index has no artifactType");
  });

  // spec: "The descriptors MUST include annotations from the image manifest or index."
  it("copies the annotations of each referrer", async () => {
    const list = byDigest(await listOf(await referrers(subject.digest)));
    assert.deepEqual(list.get(sbom.digest)!.annotations, {
      "org.example.sbom.format": "json",
      "org.opencontainers.image.created": "2024-01-01T00:00:00Z",
    });
    assert.deepEqual(list.get(signature.digest)!.annotations, { "org.example.signature.fingerprint": "abcd" });
    assert.deepEqual(list.get(configTyped.digest)!.annotations, { "org.example.kind": "config-typed" });
    assert.deepEqual(list.get(indexWithType.digest)!.annotations, { "org.example.index": "typed" });
    assert.deepEqual(list.get(indexWithoutType.digest)!.annotations, { "org.example.index": "untyped" });
    assert.deepEqual(list.get(noAnnotations.digest)!.annotations ?? {}, {});
  });

  it("does not set OCI-Filters-Applied when nothing was filtered", async () => {
    assert.equal((await referrers(subject.digest)).header("oci-filters-applied"), null);
  });

  // spec: "If a query results in no matching referrers, an empty manifest list MUST be returned."
  it("answers 200 with an empty list for a digest nothing refers to", async () => {
    assert.deepEqual(await listOf(await referrers(absentDigest())), []);
  });

  // conformance: "GET request to missing manifest should yield 200"
  it("lists referrers of a subject that was never pushed", async () => {
    const ghost = makeImage();
    const orphan = makeArtifact({ artifactType: SBOM, subject: descriptorOf(ghost) });
    await pushManifest(api, REPO, orphan);
    const list = await listOf(await referrers(ghost.digest));
    assert.deepEqual(list.map((d) => d.digest), [orphan.digest]);
  });

  // spec: "If the registry supports the referrers API, the registry MUST NOT return a 404 Not
  // Found to a referrers API requests." (a 404 tells clients to fall back to the tag schema)
  it("answers 200 with an empty list in a repository that does not exist", async () => {
    assert.deepEqual(await listOf(await referrers(subject.digest, {}, "referrers/never-pushed")), []);
  });

  // spec: "If the request is invalid, such as a <digest> with an invalid syntax, a 400 Bad
  // Request MUST be returned."
  it("answers 400 for a malformed digest", async () => {
    for (const d of ["sha256:nothex", "latest", "sha256:" + "a".repeat(63)]) {
      expectError(await referrers(d), 400, "DIGEST_INVALID");
    }
  });

  it("lists only the referrers of its own repository", async () => {
    const other = await listOf(await referrers(subject.digest, {}, "referrers/elsewhere"));
    assert.equal(other.length, 1);
    const mine = byDigest(await listOf(await referrers(subject.digest)));
    assert.ok(!mine.has(other[0]!.digest));
  });

  it("a referrer of a referrer is listed under its own subject only", async () => {
    const countersign = makeArtifact({ artifactType: SIGNATURE, subject: descriptorOf(signature) });
    await pushManifest(api, REPO, countersign);
    const list = await listOf(await referrers(signature.digest));
    assert.deepEqual(list.map((d) => d.digest), [countersign.digest]);
    assert.ok(!byDigest(await listOf(await referrers(subject.digest))).has(countersign.digest));
  });
});

describe("GET /v2/<name>/referrers/<digest>?artifactType=", () => {
  // spec: "If filtering is requested and applied, the response MUST include a header
  // OCI-Filters-Applied: artifactType denoting that an artifactType filter was applied."
  it("returns only referrers of that artifactType and says the filter was applied", async () => {
    const reply = await referrers(subject.digest, { artifactType: SBOM });
    assert.equal(reply.header("oci-filters-applied"), "artifactType");
    const list = await listOf(reply);
    assert.deepEqual(list.map((d) => d.digest), [sbom.digest]);
    assert.equal(list[0]!.artifactType, SBOM);
  });

  it("matches the artifactType derived from the config media type", async () => {
    const reply = await referrers(subject.digest, { artifactType: CONFIG_TYPE });
    assert.equal(reply.header("oci-filters-applied"), "artifactType");
    assert.deepEqual((await listOf(reply)).map((d) => d.digest), [configTyped.digest]);
  });

  it("decodes a media type with `+` and `/` from the query", async () => {
    const reply = await referrers(subject.digest, { artifactType: SIGNATURE });
    assert.ok(reply.url.includes("%2B"), `the client should have encoded "+": ${reply.url}`);
    assert.equal(reply.header("oci-filters-applied"), "artifactType");
    assert.deepEqual((await listOf(reply)).map((d) => d.digest), [signature.digest]);
  });

  it("answers an empty list when nothing has that artifactType", async () => {
    const reply = await referrers(subject.digest, { artifactType: "application/vnd.example.none" });
    assert.equal(reply.header("oci-filters-applied"), "artifactType");
    assert.deepEqual(await listOf(reply), []);
  });
});

describe("referrers over time", () => {
  it("a deleted referrer leaves the list", async () => {
    const name = "referrers/deleting";
    const base = makeImage();
    await pushManifest(api, name, base, "base");
    const keep = makeArtifact({ artifactType: SBOM, subject: descriptorOf(base) });
    const drop = makeArtifact({ artifactType: SIGNATURE, subject: descriptorOf(base) });
    await pushManifest(api, name, keep);
    await pushManifest(api, name, drop);
    assert.equal((await listOf(await referrers(base.digest, {}, name))).length, 2);
    expectStatus(await api.delete(`/v2/${name}/manifests/${drop.digest}`), 202);
    assert.deepEqual((await listOf(await referrers(base.digest, {}, name))).map((d) => d.digest), [keep.digest]);
  });

  // spec: "A Link header MUST be included in the response when the descriptor list cannot be
  // returned in a single manifest." listOf follows Link pages, so either shape passes.
  it("lists many referrers completely, across pages if the registry pages", async () => {
    const name = "referrers/many";
    const base = makeImage();
    await pushManifest(api, name, base, "base");
    const pushed: string[] = [];
    const layer = blobOf("shared payload", "application/vnd.example.payload");
    for (let i = 0; i < 40; i++) {
      const a = makeArtifact({
        artifactType: SBOM,
        subject: descriptorOf(base),
        annotations: { "org.example.n": String(i) },
        layers: [layer],
      });
      await pushManifest(api, name, a);
      pushed.push(a.digest);
    }
    const list = byDigest(await listOf(await referrers(base.digest, {}, name)));
    assert.deepEqual([...list.keys()].sort(), pushed.sort());
  });
});

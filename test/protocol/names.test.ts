// Repository names: the spec's grammar, multi-component names, and names whose components are
// the API's own words (blobs, manifests, tags, uploads, referrers, list), which a router must not
// mistake for endpoints.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RunningRegistry } from "../helpers/registry.js";
import {
  Api,
  MediaTypes,
  descriptorOf,
  expectError,
  expectStatus,
  makeArtifact,
  makeImage,
  pathOf,
  pushBlob,
  pushManifest,
  randomBytes,
  rawRequest,
  sha256,
  startUpload,
  registryPerFile,
} from "./support.js";

let registry: RunningRegistry;
let api: Api;
registryPerFile((started) => ({ registry, api } = started));

/** Push and pull through every endpoint family under `name`. */
async function roundTrip(name: string): Promise<void> {
  // chunked upload through the Locations the server hands out
  const content = randomBytes(300);
  const digest = sha256(content);
  const location = await startUpload(api, name);
  assert.ok(pathOf(location).startsWith(`/v2/${name}/blobs/uploads/`), `${name}: upload Location ${location}`);
  const patch = await api.patch(location, {
    headers: { "Content-Type": MediaTypes.OctetStream, "Content-Range": "0-299", "Content-Length": "300" },
    body: content,
  });
  expectStatus(patch, 202, `${name}: PATCH`);
  const status = await api.get(api.location(patch));
  expectStatus(status, 204, `${name}: upload status`);
  const put = await api.put(api.location(patch), { query: { digest } });
  expectStatus(put, 201, `${name}: PUT`);
  assert.equal(pathOf(api.location(put)), `/v2/${name}/blobs/${digest}`);
  const blob = await api.get(`/v2/${name}/blobs/${digest}`);
  expectStatus(blob, 200, `${name}: GET blob`);
  assert.deepEqual(blob.body, content);
  expectStatus(await api.head(`/v2/${name}/blobs/${digest}`), 200, `${name}: HEAD blob`);

  // manifests by tag and digest
  const image = makeImage();
  const pushed = await pushManifest(api, name, image, "latest");
  assert.ok(pathOf(api.location(pushed)).startsWith(`/v2/${name}/manifests/`), `${name}: manifest Location`);
  const byTag = await api.get(`/v2/${name}/manifests/latest`);
  expectStatus(byTag, 200, `${name}: GET manifest by tag`);
  assert.ok(byTag.body.equals(image.bytes));
  expectStatus(await api.head(`/v2/${name}/manifests/${image.digest}`), 200, `${name}: HEAD manifest by digest`);

  // tags
  const tags = await api.get(`/v2/${name}/tags/list`);
  expectStatus(tags, 200, `${name}: tags/list`);
  assert.deepEqual(tags.json(), { name, tags: ["latest"] });

  // referrers
  const ref = makeArtifact({ artifactType: "application/vnd.example.sig", subject: descriptorOf(image) });
  await pushManifest(api, name, ref);
  const referrers = await api.get(`/v2/${name}/referrers/${image.digest}`);
  expectStatus(referrers, 200, `${name}: referrers`);
  assert.deepEqual(
    referrers.json<{ manifests: Array<{ digest: string }> }>().manifests.map((m) => m.digest),
    [ref.digest],
  );

  // mount (onto itself: the blob is already there) and delete
  const mounted = await api.post(`/v2/${name}/blobs/uploads/`, { query: { mount: digest, from: name } });
  expectStatus(mounted, 201, `${name}: mount onto itself`);
  expectStatus(await api.delete(`/v2/${name}/manifests/latest`), 202, `${name}: DELETE tag`);
  expectStatus(await api.delete(`/v2/${name}/manifests/${ref.digest}`), 202, `${name}: DELETE manifest`);
  expectStatus(await api.delete(`/v2/${name}/blobs/${digest}`), 202, `${name}: DELETE blob`);
  expectStatus(await api.get(`/v2/${name}/blobs/${digest}`), 404, `${name}: deleted blob`);
}

describe("names with several path components", () => {
  for (const name of ["a/b", "a/b/c", "a/b/c/d/e/f/g", "org/team/project/image"]) {
    it(`${name} works on every endpoint`, async () => {
      await roundTrip(name);
    });
  }

  it("a parent and its child are different repositories", async () => {
    const parent = await pushBlob(api, "family", randomBytes(10));
    const child = await pushBlob(api, "family/child", randomBytes(10));
    expectStatus(await api.head(`/v2/family/child/blobs/${parent}`), 404);
    expectStatus(await api.head(`/v2/family/blobs/${child}`), 404);
  });
});

describe("names made of the API's own words", () => {
  const names = [
    "blobs",
    "manifests",
    "tags",
    "uploads",
    "referrers",
    "list",
    "v2",
    "a/blobs/b",
    "a/blobs/uploads",
    "a/manifests/latest",
    "a/tags/list",
    "x/referrers/y",
    "blobs/uploads/manifests/tags/list",
    "v2/blobs",
    "tags/list/tags/list",
  ];
  for (const name of names) {
    it(`"${name}" works on every endpoint`, async () => {
      await roundTrip(name);
    });
  }

  it("`/v2/a/tags/list` is repository a's tag list, not a repository named a/tags/list", async () => {
    await pushManifest(api, "words/a", makeImage(), "one");
    await pushManifest(api, "words/a/tags/list", makeImage(), "two");
    const reply = await api.get("/v2/words/a/tags/list");
    expectStatus(reply, 200);
    assert.deepEqual(reply.json(), { name: "words/a", tags: ["one"] });
    const nested = await api.get("/v2/words/a/tags/list/tags/list");
    expectStatus(nested, 200);
    assert.deepEqual(nested.json(), { name: "words/a/tags/list", tags: ["two"] });
  });
});

describe("the name grammar", () => {
  // spec: "<name> MUST match the following regular expression:
  // [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*"
  it("accepts the separators the grammar allows", async () => {
    for (const name of ["a.b", "a_b", "a__b", "a-b", "a---b", "0", "9to5/x.y_z__w--v"]) {
      await pushBlob(api, name, randomBytes(5));
    }
  });

  // Historic limit: "The total length of a repository name, including slashes, MUST be less than 256 characters."
  it("accepts a name of 255 characters", async () => {
    const name = `${"a".repeat(127)}/${"b".repeat(127)}`;
    assert.equal(name.length, 255);
    await pushBlob(api, name, randomBytes(5));
  });

  const invalid = [
    "UPPER",
    "Mixed/case",
    "a..b",
    "a.-b",
    "a___b",
    "-lead",
    "trail-",
    "trail.",
    "_under",
    "a/.hidden",
    "a/_x",
    "sp ace",
    "a:b",
    "a@b",
    "é",
    `${"a".repeat(128)}/${"b".repeat(127)}`,
  ];

  it("refuses names outside the grammar with 400 NAME_INVALID when starting an upload", async () => {
    for (const name of invalid) {
      const reply = await api.post(`/v2/${encodeURI(name)}/blobs/uploads/`);
      expectError(reply, 400, "NAME_INVALID");
    }
  });

  it("refuses names outside the grammar with 400 NAME_INVALID when pushing a manifest", async () => {
    const image = makeImage();
    for (const name of invalid) {
      const reply = await api.put(`/v2/${encodeURI(name)}/manifests/latest`, {
        headers: { "Content-Type": image.mediaType },
        body: image.bytes,
      });
      expectError(reply, 400, "NAME_INVALID");
    }
  });

  it("refuses names outside the grammar with 400 NAME_INVALID when reading", async () => {
    for (const name of invalid) {
      const n = encodeURI(name);
      expectError(await api.get(`/v2/${n}/tags/list`), 400, "NAME_INVALID");
      expectError(await api.get(`/v2/${n}/manifests/latest`), 400, "NAME_INVALID");
      expectError(await api.get(`/v2/${n}/blobs/${sha256("x")}`), 400, "NAME_INVALID");
      expectError(await api.get(`/v2/${n}/referrers/${sha256("x")}`), 400, "NAME_INVALID");
      expectStatus(await api.head(`/v2/${n}/blobs/${sha256("x")}`), 400, `HEAD blob in ${name}`);
    }
  });

  it("a mount whose `from` is not a valid name is refused or ignored, never a server error", async () => {
    const digest = await pushBlob(api, "grammar/target-src", randomBytes(5));
    const reply = await api.post("/v2/grammar/target/blobs/uploads/", { query: { mount: digest, from: "NOT/valid" } });
    // A bad `from` may be refused (400 NAME_INVALID), or ignored: then automatic cross-mount
    // finds the blob in grammar/target-src (201), or a plain upload starts (202).
    if (reply.status === 400) expectError(reply, 400, "NAME_INVALID");
    else expectStatus(reply, [201, 202]);
  });

  // Paths that cannot even be split into a name: refused as an invalid or unknown name.
  it("refuses paths with empty or dot components", async () => {
    const paths = [
      "/v2//blobs/uploads/",
      "/v2/a//b/tags/list",
      "/v2/a/b//tags/list",
      "/v2/./tags/list",
      "/v2/a/./b/tags/list",
      "/v2/a/../b/tags/list",
      "/v2/../tags/list",
    ];
    for (const path of paths) {
      const reply = await rawRequest(registry.url, "GET", path);
      expectError(reply, [400, 404], ["NAME_INVALID", "NAME_UNKNOWN"]);
    }
    const post = await rawRequest(registry.url, "POST", "/v2/a/../b/blobs/uploads/");
    expectError(post, [400, 404], ["NAME_INVALID", "NAME_UNKNOWN"]);
  });
});

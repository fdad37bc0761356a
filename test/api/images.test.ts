// The repository page's reads over a real `berth serve` with auth: who pushed each image, one
// image's details (layers, config summary, an index's platforms, referrers), tags with their
// image sizes and pushes, filtered and paginated, and repositories filtered by name. Who may read
// them, and that another tenancy learns nothing of what exists.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { api, basic, call, digest, expectStatus, OPERATOR, startAuthRegistry, type AuthRegistry } from "../iam/support.js";

type Client = ReturnType<typeof api>;

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
const LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";

describe("images, tags and repositories for the console", () => {
  let registry: AuthRegistry;
  let operator: Client;
  let admin: Client;
  let reader: Client;
  let inspector: Client;
  let rival: Client;
  let auth: string;
  const image = { manifest: "", layer: "", config: "", size: 0, layerSize: 0, configSize: 0 };
  let index = "";
  let signature = "";

  const put = async (repo: string, reference: string, mediaType: string, body: Buffer) => {
    const res = await fetch(`${registry.url}/v2/${repo}/manifests/${reference}`, { method: "PUT", headers: { Authorization: auth, "Content-Type": mediaType }, body: new Uint8Array(body) });
    await res.arrayBuffer();
    assert.equal(res.status, 201, `PUT ${repo}:${reference}`);
    return digest(body);
  };
  const blob = async (repo: string, data: Buffer) => {
    const res = await fetch(`${registry.url}/v2/${repo}/blobs/uploads/?digest=${digest(data)}`, { method: "POST", headers: { Authorization: auth }, body: new Uint8Array(data) });
    await res.arrayBuffer();
    assert.equal(res.status, 201);
    return digest(data);
  };

  before(async () => {
    registry = await startAuthRegistry({ BERTH_AUTH_RATELIMIT_PERUSERADDRESS: "1000", BERTH_AUTH_RATELIMIT_PERADDRESS: "1000" });
    operator = api(registry, OPERATOR, registry.operatorToken);
    const shop = await operator.post("/tenancies", { namespace: "shop", adminUser: "boss" });
    auth = basic("shop/boss", shop.body.data.token);
    admin = api(registry, "shop/boss", shop.body.data.token);
    rival = api(registry, "rival/boss", (await operator.post("/tenancies", { namespace: "rival", adminUser: "boss" })).body.data.token);
    for (const [user, group, verb] of [["rita", "READERS", "read"], ["ivan", "INSPECTORS", "inspect"]] as const) {
      expectStatus(await admin.post("/tenancies/shop/groups", { name: group }), 201, group);
      expectStatus(await admin.post("/tenancies/shop/users", { name: user }), 201, user);
      expectStatus(await admin.post(`/tenancies/shop/groups/${group}/members`, { user }), 204, "member");
      expectStatus(await admin.post("/tenancies/shop/policies", { name: verb, statements: [`Allow group ${group} to ${verb} repos in tenancy`] }), 201, "policy");
    }
    reader = api(registry, "shop/rita", (await admin.post("/tenancies/shop/users/rita/auth-tokens", {})).body.data.token);
    inspector = api(registry, "shop/ivan", (await admin.post("/tenancies/shop/users/ivan/auth-tokens", {})).body.data.token);

    const layer = randomBytes(300);
    const config = Buffer.from(
      JSON.stringify({
        architecture: "arm64",
        os: "linux",
        variant: "v8",
        created: "2026-12-01T10:00:00Z",
        config: { Entrypoint: ["/bin/app"], Cmd: ["--serve"], Labels: { "org.opencontainers.image.source": "https://example.com/app" } },
        rootfs: { type: "layers", diff_ids: [] },
      }),
    );
    image.layer = await blob("shop/web", layer);
    image.config = await blob("shop/web", config);
    image.layerSize = layer.length;
    image.configSize = config.length;
    const manifest = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: OCI_CONFIG, digest: image.config, size: config.length }, layers: [{ mediaType: LAYER, digest: image.layer, size: layer.length }] }),
    );
    image.manifest = await put("shop/web", "v1.0", OCI_MANIFEST, manifest);
    image.size = manifest.length + config.length + layer.length;
    await put("shop/web", "release-2", OCI_MANIFEST, manifest);
    const indexBody = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: image.manifest, size: manifest.length, platform: { os: "linux", architecture: "arm64", variant: "v8" } }] }),
    );
    index = await put("shop/web", "multi", OCI_INDEX, indexBody);
    const empty = Buffer.from("{}");
    await blob("shop/web", empty);
    const sig = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        artifactType: "application/vnd.example.signature",
        config: { mediaType: "application/vnd.oci.empty.v1+json", digest: digest(empty), size: 2 },
        layers: [{ mediaType: "application/vnd.oci.empty.v1+json", digest: digest(empty), size: 2 }],
        subject: { mediaType: OCI_MANIFEST, digest: image.manifest, size: manifest.length },
      }),
    );
    signature = await put("shop/web", digest(sig), OCI_MANIFEST, sig);
    for (const name of ["shop/api", "shop/Web-tools".toLowerCase(), "shop/db"]) expectStatus(await admin.post("/repositories", { name }), 201, name);
  });
  after(() => registry?.close());

  it("lists images with who pushed them, their whole size, and an index's platforms", async () => {
    const res = await reader.get("/repositories/shop%2Fweb/images");
    expectStatus(res, 200, "images");
    const byDigest = new Map<string, any>(res.body.data.map((i: any) => [i.digest, i]));
    const img = byDigest.get(image.manifest);
    assert.equal(img.pushedBy, "shop/boss");
    assert.equal(img.size, image.size, "manifest + config + layer");
    assert.deepEqual(img.tags, ["release-2", "v1.0"]);
    assert.deepEqual(byDigest.get(index).platforms, [{ os: "linux", architecture: "arm64", variant: "v8" }]);
    assert.equal(img.platforms, undefined);
  });

  it("shows one image: layers, config summary, tags, pusher, referrers", async () => {
    const res = await reader.get(`/repositories/shop%2Fweb/images/${image.manifest}`);
    expectStatus(res, 200, "detail");
    const d = res.body.data;
    assert.equal(d.digest, image.manifest);
    assert.equal(d.mediaType, OCI_MANIFEST);
    assert.equal(d.size, image.size);
    assert.equal(d.pushedBy, "shop/boss");
    assert.deepEqual(d.tags, ["release-2", "v1.0"]);
    assert.equal(d.pullCount, 0);
    assert.equal(d.subject, null);
    assert.deepEqual(d.layers, [{ digest: image.layer, mediaType: LAYER, size: image.layerSize }]);
    assert.deepEqual(d.config, {
      digest: image.config,
      mediaType: OCI_CONFIG,
      size: image.configSize,
      os: "linux",
      architecture: "arm64",
      variant: "v8",
      created: "2026-12-01T10:00:00Z",
      entrypoint: ["/bin/app"],
      cmd: ["--serve"],
      labels: { "org.opencontainers.image.source": "https://example.com/app" },
    });
    assert.equal(d.manifests, undefined);
    assert.equal(d.referrers.length, 1);
    assert.equal(d.referrers[0].digest, signature);
    assert.equal(d.referrers[0].artifactType, "application/vnd.example.signature");
    assert.match(d.referrers[0].pushedAt, /Z$/);

    const sig = (await reader.get(`/repositories/shop%2Fweb/images/${signature}`)).body.data;
    assert.equal(sig.subject, image.manifest);
    assert.equal(sig.config.os, undefined, "an artifact's config is not read as an image config");
  });

  it("reads a config past the small-blob size through a stream, and leaves one over 1 MiB unread", async () => {
    const pushWithConfig = async (tag: string, padding: number) => {
      const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: { Labels: { pad: "x".repeat(padding) } }, rootfs: { type: "layers", diff_ids: [] } }));
      const configDigest = await blob("shop/big", config);
      const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: OCI_CONFIG, digest: configDigest, size: config.length }, layers: [] }));
      return { digest: await put("shop/big", tag, OCI_MANIFEST, manifest), size: config.length };
    };
    const medium = await pushWithConfig("medium", 200 * 1024);
    const large = await pushWithConfig("large", 1024 * 1024);
    const m = (await reader.get(`/repositories/shop%2Fbig/images/${medium.digest}`)).body.data;
    assert.equal(m.config.architecture, "amd64");
    assert.equal(m.config.labels.pad.length, 200 * 1024);
    const l = (await reader.get(`/repositories/shop%2Fbig/images/${large.digest}`)).body.data;
    assert.equal(l.config.size, large.size);
    assert.ok(large.size > 1024 * 1024);
    assert.equal(l.config.architecture, undefined, "over 1 MiB: described, not read");
    assert.deepEqual(l.layers, []);
  });

  it("shows an index with its platforms", async () => {
    const d = (await reader.get(`/repositories/shop%2Fweb/images/${index}`)).body.data;
    assert.deepEqual(d.tags, ["multi"]);
    assert.equal(d.layers, undefined);
    assert.equal(d.config, undefined);
    assert.equal(d.manifests.length, 1);
    assert.equal(d.manifests[0].digest, image.manifest);
    assert.deepEqual(d.manifests[0].platform, { os: "linux", architecture: "arm64", variant: "v8" });
    assert.ok(d.size > image.size, "the index, its image and the image's blobs");
  });

  it("refuses an unknown digest (404 NOT_FOUND, as the API names every 404), a bad digest (400), and callers who may not read", async () => {
    const unknown = await reader.get(`/repositories/shop%2Fweb/images/sha256:${"0".repeat(64)}`);
    expectStatus(unknown, 404, "unknown digest");
    assert.equal(unknown.body.errors[0].code, "NOT_FOUND");
    assert.match(unknown.body.errors[0].message, /image sha256:0+ .*shop\/web/);
    expectStatus(await reader.get("/repositories/shop%2Fweb/images/sha256:xyz"), 400, "bad digest");
    expectStatus(await admin.get(`/repositories/shop%2Fnothing/images/${image.manifest}`), 404, "unknown repository");
    expectStatus(await inspector.get(`/repositories/shop%2Fweb/images/${image.manifest}`), 403, "inspect is not read");
    expectStatus(await call(`${registry.url}/api/v1/repositories/shop%2Fweb/images/${image.manifest}`), 401, "anonymous");
    const existing = await rival.get(`/repositories/shop%2Fweb/images/${image.manifest}`);
    const missing = await rival.get(`/repositories/shop%2Fnothing/images/${image.manifest}`);
    expectStatus(existing, 403, "another tenancy");
    expectStatus(missing, 403, "another tenancy, a repository that does not exist");
    assert.equal(existing.body.errors[0].message.replace("web", "nothing"), missing.body.errors[0].message, "the same answer");
    expectStatus(await operator.get(`/repositories/shop%2Fweb/images/${image.manifest}`), 200, "the operator may look");
  });

  it("lists tags with the image's size and the tag's push, filtered (case ignored) and paginated", async () => {
    const all = await reader.get("/repositories/shop%2Fweb/tags");
    expectStatus(all, 200, "tags");
    assert.deepEqual(all.body.data.map((t: any) => t.name), ["multi", "release-2", "v1.0"]);
    const v1 = all.body.data.find((t: any) => t.name === "v1.0");
    assert.equal(v1.digest, image.manifest);
    assert.equal(v1.size, image.size);
    assert.match(v1.pushedAt, /^\d{4}-\d\d-\d\dT.*Z$/);
    const first = await reader.get("/repositories/shop%2Fweb/tags?filter=E&limit=1");
    assert.deepEqual(first.body.data.map((t: any) => t.name), ["release-2"]);
    assert.equal(first.body.next, undefined, "v1.0 has no e");
    const page1 = await reader.get("/repositories/shop%2Fweb/tags?filter=L&limit=1");
    assert.deepEqual(page1.body.data.map((t: any) => t.name), ["multi"]);
    const page2 = await reader.get(`/repositories/shop%2Fweb/tags?filter=L&limit=1&cursor=${page1.body.next}`);
    assert.deepEqual(page2.body.data.map((t: any) => t.name), ["release-2"]);
    assert.equal(page2.body.next, undefined);
    assert.deepEqual((await reader.get("/repositories/shop%2Fweb/tags?filter=%25")).body.data, [], "% matches only itself");
    expectStatus(await reader.get(`/repositories/shop%2Fweb/tags?filter=${"x".repeat(256)}`), 400, "a filter too long");
    expectStatus(await rival.get("/repositories/shop%2Fweb/tags?filter=v"), 403, "another tenancy");
  });

  it("filters repositories by name, in a tenancy and registry-wide", async () => {
    const names = async (c: Client, path: string) => (await c.get(path)).body.data.map((r: any) => r.name);
    assert.deepEqual(await names(admin, "/tenancies/shop/repositories?filter=WEB"), ["shop/web", "shop/web-tools"]);
    assert.deepEqual(await names(admin, "/repositories?filter=web&limit=1"), ["shop/web"]);
    assert.deepEqual(await names(operator, "/repositories?filter=web"), ["shop/web", "shop/web-tools"]);
    assert.deepEqual(await names(operator, "/repositories?filter=db"), ["shop/db"]);
    assert.deepEqual(await names(rival, "/repositories?filter=web"), [], "another tenancy's stay hidden");
  });
});

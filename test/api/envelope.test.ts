// The admin API's answers against a real `berth serve`: `{"data": …}` for every success, ISO-8601
// UTC times, cursor pages on every list (walked to the end, each item once, in order), tags and
// images of a repository. Every answer is also checked against the OpenAPI document (support.ts).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { api, basic, call, expectStatus, OPERATOR, pushImage, startAuthRegistry, type AuthRegistry } from "../iam/support.js";

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const enc = encodeURIComponent;

describe("admin API: envelope, times, pages, tags and images", () => {
  let registry: AuthRegistry;
  let operator: ReturnType<typeof api>;
  let betaAuth: string;
  let admin: ReturnType<typeof api>;
  let adminAuth: string;

  /** Every item of a list, following `next` with pages of `limit`. */
  async function walk(client: ReturnType<typeof api>, path: string, limit: number): Promise<{ items: any[]; pages: number }> {
    const items: any[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const sep = path.includes("?") ? "&" : "?";
      const res = await client.get(`${path}${sep}limit=${limit}${cursor ? `&cursor=${enc(cursor)}` : ""}`);
      expectStatus(res, 200, path);
      assert.ok(Array.isArray(res.body.data), `${path}: data is a list`);
      assert.ok(res.body.data.length <= limit, `${path}: at most ${limit}`);
      items.push(...res.body.data);
      cursor = res.body.next;
      if (cursor !== undefined) assert.equal(res.body.data.length, limit, `${path}: a page before the last is full`);
      pages++;
    } while (cursor !== undefined && pages < 100);
    return { items, pages };
  }

  /** Walking in pages of 1 and 2 gives what one big page gives. */
  async function assertPaged(client: ReturnType<typeof api>, path: string, key: (x: any) => string, atLeast: number) {
    const whole = await client.get(path.includes("?") ? `${path}&limit=1000` : `${path}?limit=1000`);
    expectStatus(whole, 200, path);
    assert.equal(whole.body.next, undefined, `${path}: no next after the last page`);
    const all = (whole.body.data as any[]).map(key);
    assert.ok(all.length >= atLeast, `${path}: ${all.length} items, expected at least ${atLeast}`);
    assert.equal(new Set(all).size, all.length, `${path}: each item once`);
    for (const limit of [1, 2]) {
      const { items, pages } = await walk(client, path, limit);
      assert.deepEqual(items.map(key), all, `${path} in pages of ${limit}`);
      assert.equal(pages, Math.max(1, Math.ceil(all.length / limit)), `${path}: pages of ${limit}, no empty last page`);
    }
    return whole.body.data as any[];
  }

  before(async () => {
    registry = await startAuthRegistry();
    operator = api(registry, OPERATOR, registry.operatorToken);
    for (const ns of ["acme", "beta", "gamma"]) {
      const created = await operator.post("/tenancies", { namespace: ns, adminUser: "boss", description: `${ns} corp` });
      expectStatus(created, 201, ns);
      if (ns === "acme") {
        admin = api(registry, "acme/boss", created.body.data.token);
        adminAuth = basic("acme/boss", created.body.data.token);
      }
      if (ns === "beta") betaAuth = basic("beta/boss", created.body.data.token);
    }
    for (const user of ["ann", "bob", "cy"]) expectStatus(await admin.post("/tenancies/acme/users", { name: user }), 201, user);
    for (const group of ["DEV", "OPS"]) expectStatus(await admin.post("/tenancies/acme/groups", { name: group }), 201, group);
    for (const user of ["ann", "bob", "cy"]) expectStatus(await admin.post("/tenancies/acme/groups/DEV/members", { user }), 204, user);
    for (const name of ["p1", "p2", "p3"]) expectStatus(await admin.post("/tenancies/acme/policies", { name, statements: ["Allow group DEV to read repos in tenancy"] }), 201, name);
    for (const d of ["one", "two"]) expectStatus(await admin.post("/tenancies/acme/users/ann/auth-tokens", { description: d }), 201, d);
    for (const tag of ["v1", "v2", "v3"]) assert.equal(await pushImage(registry, "acme/web/app", tag, adminAuth), 201);
    assert.equal(await pushImage(registry, "acme/api", "latest", adminAuth), 201);
  });

  after(async () => {
    await registry?.close();
  });

  it("answers {data} on success, nothing on 204, times as ISO-8601 UTC", async () => {
    const who = await admin.get("/whoami");
    expectStatus(who, 200, "whoami");
    assert.deepEqual(who.body, { data: { kind: "user", name: "acme/boss", tenancy: "acme", user: "boss", groups: ["Administrators"] } });
    const tenancy = await admin.get("/tenancies/acme");
    assert.deepEqual(Object.keys(tenancy.body), ["data"]);
    assert.match(tenancy.body.data.createdAt, ISO);
    assert.ok(Math.abs(Date.parse(tenancy.body.data.createdAt) - Date.now()) < 120_000, "a real time");
    const tokens = (await admin.get("/tenancies/acme/users/ann/auth-tokens")).body.data;
    assert.ok(tokens.every((t: any) => ISO.test(t.createdAt) && t.lastUsedAt === null), "null stays null");
    const repo = (await admin.get(`/repositories/${enc("acme/web/app")}`)).body.data;
    assert.match(repo.createdAt, ISO);
    assert.match(repo.lastPushedAt, ISO);
    const removed = await admin.delete("/tenancies/acme/groups/OPS");
    assert.equal(removed.status, 204);
    assert.equal(removed.body, undefined);
    const audit = (await admin.get("/tenancies/acme/audit?limit=5")).body.data;
    assert.ok(audit.length > 0 && audit.every((e: any) => ISO.test(e.at)));
  });

  it("pages every list with limit and cursor, each item once and in order", async () => {
    const byName = (x: any) => x.name;
    const tenancies = await assertPaged(operator, "/tenancies", (t) => t.namespace, 4);
    assert.deepEqual(tenancies.map((t) => t.namespace), ["acme", "berth", "beta", "gamma"]);
    await assertPaged(admin, "/tenancies/acme/users", byName, 4);
    await assertPaged(admin, "/tenancies/acme/groups", byName, 2);
    await assertPaged(admin, "/tenancies/acme/groups/DEV/members", byName, 3);
    await assertPaged(admin, "/tenancies/acme/policies", byName, 3);
    await assertPaged(admin, "/tenancies/acme/users/ann/auth-tokens", (t) => t.id, 2);
    assert.deepEqual((await assertPaged(admin, "/tenancies/acme/repositories", byName, 2)).map(byName), ["acme/api", "acme/web/app"]);
    assert.deepEqual((await assertPaged(admin, "/repositories", byName, 2)).map(byName), ["acme/api", "acme/web/app"], "a tenancy's own");
    await assertPaged(admin, `/repositories/${enc("acme/web/app")}/tags`, byName, 3);
    await assertPaged(admin, `/repositories/${enc("acme/web/app")}/images`, (i) => i.digest, 3);
    await assertPaged(admin, "/tenancies/acme/audit", (e) => JSON.stringify(e), 10);
    await assertPaged(operator, "/audit", (e) => JSON.stringify(e), 10);
    await assertPaged(operator, "/usage", (u) => u.namespace, 4);
  });

  it("refuses a bad limit or a cursor that is not one of ours", async () => {
    for (const limit of ["0", "1001", "-1", "ten", "1.5"]) {
      const res = await admin.get(`/tenancies/acme/users?limit=${limit}`);
      expectStatus(res, 400, `limit ${limit}`);
      assert.equal(res.body.errors[0].code, "INVALID");
    }
    for (const path of ["/tenancies/acme/users", "/tenancies/acme/audit"]) {
      const res = await admin.get(`${path}?cursor=not-a-cursor`);
      expectStatus(res, 400, `${path} cursor`);
      assert.equal(res.body.errors[0].code, "INVALID");
    }
  });

  it("the operator sees every tenancy's repositories, usage and audit; a tenancy's admin its own", async () => {
    await pushImage(registry, "beta/tool", "v1", betaAuth).then((s) => assert.equal(s, 201));
    const all = (await operator.get("/repositories?limit=1000")).body.data.map((r: any) => r.name);
    assert.deepEqual(all, ["acme/api", "acme/web/app", "beta/tool"]);
    const { window, storedBytes, ...usage } = (await admin.get("/tenancies/acme/usage")).body.data;
    assert.deepEqual({ ...usage, size: usage.size > 0 }, { namespace: "acme", repositoryLimit: 500, repositories: 2, tags: 4, manifests: 4, size: true, pulls: 0, storageQuota: null });
    assert.ok(storedBytes > 0 && storedBytes <= usage.size, "each blob once");
    assert.equal(window.days, 30);
    const everyone = (await operator.get("/usage")).body.data;
    assert.deepEqual(everyone.map((u: any) => [u.namespace, u.repositories]), [["acme", 2], ["berth", 0], ["beta", 1], ["gamma", 0]]);
    // A denial by an anonymous caller on a private repository belongs to no tenancy: only the operator sees it.
    await call(`${registry.url}/v2/acme/api/tags/list`);
    const operatorsView = (await operator.get("/audit?limit=1000")).body.data;
    assert.ok(operatorsView.some((e: any) => e.tenancy === null && e.actor === "anonymous" && e.outcome === "denied"), "tenancy-less events");
    assert.ok(operatorsView.some((e: any) => e.tenancy === "beta") && operatorsView.some((e: any) => e.tenancy === "acme"), "every tenancy's");
    const acmeView = (await admin.get("/tenancies/acme/audit?limit=1000")).body.data;
    assert.ok(acmeView.every((e: any) => e.tenancy === "acme"), "a tenancy's log holds its events only");
    for (const path of ["/audit", "/usage", "/tenancies/beta/usage", "/tenancies/beta/audit"]) expectStatus(await admin.get(path), 403, path);
  });

  it("deleting a tag only untags; deleting an image removes it with its tags", async () => {
    const name = enc("acme/web/app");
    const images = (await admin.get(`/repositories/${name}/images`)).body.data as any[];
    const v1 = images.find((i) => i.tags.includes("v1"));
    assert.match(v1.pushedAt, ISO);
    assert.equal(v1.mediaType, "application/vnd.oci.image.manifest.v1+json");
    expectStatus(await admin.delete(`/repositories/${name}/tags/v1`), 204, "untag");
    expectStatus(await admin.delete(`/repositories/${name}/tags/v1`), 404, "untag again");
    const after = (await admin.get(`/repositories/${name}/images`)).body.data as any[];
    assert.deepEqual(after.find((i) => i.digest === v1.digest)?.tags, [], "the image stays, untagged");
    const pulled = await call(`${registry.url}/v2/acme/web/app/manifests/${v1.digest}`, { headers: { Authorization: adminAuth, Accept: "application/vnd.oci.image.manifest.v1+json" } });
    assert.equal(pulled.status, 200, "still pullable by digest");
    const v2 = after.find((i) => i.tags.includes("v2"));
    expectStatus(await admin.delete(`/repositories/${name}/images/${enc(v2.digest)}`), 204, "delete image");
    const tags = (await admin.get(`/repositories/${name}/tags`)).body.data.map((t: any) => t.name);
    assert.deepEqual(tags, ["v3"], "its tag went with it");
    expectStatus(await admin.delete(`/repositories/${name}/images/${enc(v2.digest)}`), 404, "delete it again");
    const bad = await admin.delete(`/repositories/${name}/images/not-a-digest`);
    expectStatus(bad, 400, "bad digest");
    expectStatus(await admin.get(`/repositories/${enc("acme/none")}/tags`), 404, "tags of a missing repository");
    const audit = (await admin.get("/tenancies/acme/audit?limit=50")).body.data as any[];
    assert.ok(audit.some((e) => e.action === "DeleteTag" && e.target === "acme/web/app:v1" && e.outcome === "ok"));
    assert.ok(audit.some((e) => e.action === "DeleteImage" && e.target === `acme/web/app@${v2.digest}` && e.outcome === "ok"));
  });
});

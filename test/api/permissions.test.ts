// GET /api/v1/permissions over a real `berth serve` with auth: what a read-only user, a tenancy's
// Administrator and the operator may do, for repositories, users and tenancies; anonymous callers
// are refused, another tenancy's repositories grant nothing whether they exist or not, and asking
// leaves no audit record.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { until } from "../helpers/until.js";
import { api, basic, call, expectStatus, OPERATOR, pushImage, startAuthRegistry, type AuthRegistry } from "../iam/support.js";

type Client = ReturnType<typeof api>;

describe("GET /api/v1/permissions", () => {
  let registry: AuthRegistry;
  let operator: Client;
  let admin: Client;
  let reader: Client;
  let rival: Client;

  const allowed = async (c: Client, query: string): Promise<string[]> => {
    const res = await c.get(`/permissions?${query}`);
    expectStatus(res, 200, query);
    return res.body.data.allowed;
  };

  before(async () => {
    registry = await startAuthRegistry({ BERTH_AUTH_RATELIMIT_PERUSERADDRESS: "1000", BERTH_AUTH_RATELIMIT_PERADDRESS: "1000" });
    operator = api(registry, OPERATOR, registry.operatorToken);
    const shop = await operator.post("/tenancies", { namespace: "shop", adminUser: "boss" });
    expectStatus(shop, 201, "tenancy");
    admin = api(registry, "shop/boss", shop.body.data.token);
    const other = await operator.post("/tenancies", { namespace: "rival", adminUser: "boss" });
    rival = api(registry, "rival/boss", other.body.data.token);
    expectStatus(await admin.post("/tenancies/shop/groups", { name: "READERS" }), 201, "group");
    expectStatus(await admin.post("/tenancies/shop/users", { name: "rita" }), 201, "user");
    expectStatus(await admin.post("/tenancies/shop/groups/READERS/members", { user: "rita" }), 204, "member");
    const ritaToken = (await admin.post("/tenancies/shop/users/rita/auth-tokens", {})).body.data.token;
    expectStatus(await admin.post("/tenancies/shop/policies", { name: "Read", statements: ["Allow group READERS to read repos in tenancy"] }), 201, "policy");
    reader = api(registry, "shop/rita", ritaToken);
    assert.equal(await pushImage(registry, "shop/web", "v1", basic("shop/boss", shop.body.data.token)), 201);
  });
  after(() => registry?.close());

  const repoOps = "operations=ListImages,PullImage,PushImage,DeleteImage,DeleteTag,UpdateContainerRepository";

  it("a read-only user may read a repository of their tenancy, not change it", async () => {
    assert.deepEqual(await allowed(reader, `${repoOps}&repository=shop%2Fweb`), ["ListImages", "PullImage"]);
    assert.deepEqual(await allowed(reader, "operations=GetTenancy,ListUsers,CreatePolicy,ListDockerRepositories"), ["GetTenancy", "ListDockerRepositories"]);
    // Their own user (self-service), not another one.
    assert.deepEqual(await allowed(reader, "operations=ListAuthTokens,CreateAuthToken,DeleteUser&user=rita"), ["ListAuthTokens", "CreateAuthToken"]);
    assert.deepEqual(await allowed(reader, "operations=ListAuthTokens,CreateAuthToken&user=boss"), []);
  });

  it("an Administrator may do everything in their tenancy and nothing in another", async () => {
    assert.deepEqual(await allowed(admin, `${repoOps}&repository=shop%2Fweb`), ["ListImages", "PullImage", "PushImage", "DeleteImage", "DeleteTag", "UpdateContainerRepository"]);
    assert.deepEqual(await allowed(admin, "operations=ListUsers,CreatePolicy,DeleteUser&user=rita"), ["ListUsers", "CreatePolicy", "DeleteUser"]);
    assert.deepEqual(await allowed(admin, "operations=ListUsers,CreateTenancy"), ["ListUsers"]);
    assert.deepEqual(await allowed(admin, "operations=ListUsers,GetTenancy&tenancy=rival"), []);
  });

  it("the operator may look into other tenancies (not change them) and do the registry's operations", async () => {
    assert.deepEqual(await allowed(operator, `${repoOps}&repository=shop%2Fweb`), ["ListImages"]);
    assert.deepEqual(await allowed(operator, "operations=GetTenancy,ReadUsage,ListUsers&tenancy=shop"), ["GetTenancy", "ReadUsage"]);
    assert.deepEqual(await allowed(operator, "operations=CreateTenancy,RunGarbageCollection,ViewRegistry"), ["CreateTenancy", "RunGarbageCollection", "ViewRegistry"]);
  });

  it("another tenancy's repositories grant nothing, and the answer is the same whether they exist or not", async () => {
    const existing = await allowed(rival, `${repoOps}&repository=shop%2Fweb`);
    const missing = await allowed(rival, `${repoOps}&repository=shop%2Fnothing-here`);
    assert.deepEqual(existing, []);
    assert.deepEqual(missing, existing);
  });

  it("refuses anonymous callers, unknown operations, too many operations and bad targets", async () => {
    const anonymous = await call(`${registry.url}/api/v1/permissions?operations=ListImages`);
    expectStatus(anonymous, 401, "anonymous");
    const unknown = await reader.get("/permissions?operations=ListImages,StealEverything,Nope");
    expectStatus(unknown, 400, "unknown");
    assert.equal(unknown.body.errors[0].code, "INVALID");
    assert.match(unknown.body.errors[0].message, /StealEverything/);
    assert.deepEqual(unknown.body.errors[0].detail.unknown, ["StealEverything", "Nope"]);
    expectStatus(await reader.get("/permissions"), 400, "no operations");
    const many = Array.from({ length: 51 }, (_, i) => `Op${i}`).join(",");
    expectStatus(await reader.get(`/permissions?operations=${many}`), 400, "51 operations");
    expectStatus(await reader.get("/permissions?operations=ListImages&repository=web"), 400, "a repository without tenancy");
    expectStatus(await reader.get("/permissions?operations=ListImages&repository=shop%2Fweb&user=rita"), 400, "two targets");
  });

  it("the OpenAPI document names its query parameters", async () => {
    const document = (await call(`${registry.url}/api/v1/openapi.json`)).body;
    const names = (path: string) => document.paths[path].get.parameters.filter((p: any) => p.in === "query").map((p: any) => p.name);
    assert.deepEqual(names("/permissions"), ["operations", "repository", "user", "group", "tenancy"]);
    assert.deepEqual(names("/repositories/{name}/tags"), ["limit", "cursor", "filter"]);
  });

  it("asking is not an attempt: no audit record of the denials", async () => {
    await allowed(reader, "operations=DeleteImage&repository=shop%2Fweb");
    // A refused request in the same tenancy is written; once it shows, the question would have too.
    expectStatus(await reader.delete("/repositories/shop%2Fweb/tags/v1"), 403, "a real attempt");
    const events = await until("the denied DeleteTag in the audit log", async () => {
      const page: { action: string; outcome: string }[] = (await admin.get("/tenancies/shop/audit")).body.data;
      return page.some((e) => e.action === "DeleteTag" && e.outcome === "denied") ? page : undefined;
    });
    assert.ok(events.some((e) => e.action === "DeleteTag" && e.outcome === "denied"), "the real attempt is audited");
    assert.ok(!events.some((e) => e.action === "DeleteImage"), "the question is not");
  });
});

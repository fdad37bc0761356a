// Every error code of the admin API, each with its status and the OCI error envelope, against a
// real `berth serve`. The storage faults (STORAGE_FULL 507, UNAVAILABLE 503) are proven where a
// full disk and a held write lock are staged: test/server/disk-full.test.ts and
// test/metadata/concurrent-writers.test.ts.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { api, basic, call, expectStatus, OPERATOR, rawCall, startAuthRegistry, token, type AuthRegistry, type Call } from "../iam/support.js";

describe("admin API errors", () => {
  let registry: AuthRegistry;
  let admin: ReturnType<typeof api>;
  let adminToken: string;
  let url: (path: string) => string;

  const expectError = (res: Call, status: number, code: string, message?: RegExp) => {
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.equal(res.body.errors.length, 1);
    assert.equal(res.body.errors[0].code, code);
    assert.equal(typeof res.body.errors[0].message, "string");
    if (message) assert.match(res.body.errors[0].message, message);
  };

  before(async () => {
    registry = await startAuthRegistry({ BERTH_AUTH_RATELIMIT_PERUSERADDRESS: "3" });
    url = (path) => `${registry.url}/api/v1${path}`;
    const created = await api(registry, OPERATOR, registry.operatorToken).post("/tenancies", { namespace: "acme", adminUser: "boss" });
    adminToken = created.body.data.token;
    admin = api(registry, "acme/boss", adminToken);
    expectStatus(await admin.post("/tenancies/acme/users", { name: "dev" }), 201, "user");
  });

  after(async () => {
    await registry?.close();
  });

  it("UNAUTHORIZED 401 with a Basic challenge: no credentials, bad ones, a registry token", async () => {
    const none = await call(url("/tenancies/acme/users"));
    expectError(none, 401, "UNAUTHORIZED", /log in with HTTP Basic/);
    assert.equal(none.headers.get("www-authenticate"), 'Basic realm="berth"');
    const bad = await call(url("/whoami"), { headers: { Authorization: basic("acme/boss", "wrong-token-xxxxxxxxxx") } });
    expectError(bad, 401, "UNAUTHORIZED");
    assert.equal(bad.headers.get("www-authenticate"), 'Basic realm="berth"');
    const granted = await token(registry, ["repository:acme/app:pull"], "acme/boss", adminToken);
    const bearer = await call(url("/whoami"), { headers: { Authorization: `Bearer ${granted.token}` } });
    expectError(bearer, 401, "UNAUTHORIZED", /registry tokens are for \/v2 only/);
    const openapi = await call(url("/openapi.json"));
    assert.equal(openapi.status, 200, "the document needs no credentials");
    assert.equal(openapi.body.openapi, "3.1.0");
  });

  it("DENIED 403 with a reason, for a caller who is known", async () => {
    const dev = await admin.post("/tenancies/acme/users/dev/auth-tokens", {});
    const res = await api(registry, "acme/dev", dev.body.data.token).get("/tenancies/acme/users");
    expectError(res, 403, "DENIED", /Administrators of tenancy acme/);
  });

  it("NOT_FOUND 404: an unknown path, a missing thing, a repository name sent with raw slashes", async () => {
    expectError(await admin.get("/no/such/thing"), 404, "NOT_FOUND", /no such API endpoint/);
    expectError(await call(`${registry.url}/api/v2/whoami`, { headers: { Authorization: basic("acme/boss", adminToken) } }), 404, "NOT_FOUND");
    expectError(await admin.get("/tenancies/acme/users/ghost"), 404, "NOT_FOUND", /user acme\/ghost not found/);
    const raw = await admin.get("/repositories/acme/project/web/tags");
    expectError(raw, 404, "NOT_FOUND", /one percent-encoded path segment: \/api\/v1\/repositories\/acme%2Fproject%2Fweb\/tags/);
    assert.deepEqual(raw.body.errors[0].detail, { name: "acme/project/web", path: "/api/v1/repositories/acme%2Fproject%2Fweb/tags" });
    expectError(await admin.get("/repositories/acme/web"), 404, "NOT_FOUND", /acme%2Fweb/);
  });

  it("INVALID 400: bad JSON, a body that does not fit, a name that is not one", async () => {
    const bad = await call(url("/tenancies/acme/users"), { method: "POST", headers: { Authorization: basic("acme/boss", adminToken), "Content-Type": "application/json" }, body: "{not json" });
    expectError(bad, 400, "INVALID", /not valid JSON/);
    expectError(await admin.post("/tenancies/acme/users", { name: 42 }), 400, "INVALID", /"name"/);
    const unknown = await admin.post("/tenancies/acme/users", { name: "eve", admin: true });
    expectError(unknown, 400, "INVALID");
    assert.ok(Array.isArray(unknown.body.errors[0].detail.issues));
    expectError(await admin.post("/tenancies/acme/users", ["eve"]), 400, "INVALID");
    expectError(await admin.post("/tenancies/acme/users", { name: "bad name!" }), 400, "INVALID", /invalid user name/);
    expectError(await admin.get("/repositories/acme"), 400, "INVALID", /expected <tenancy-namespace>\/<repository>/);
    expectError(await admin.get("/tenancies/%E0%A4%A"), 400, "INVALID", /percent-encoding/);
  });

  it("UNSUPPORTED 405 with Allow for a method a path does not take", async () => {
    const res = await admin.patch("/tenancies/acme/users", {});
    expectError(res, 405, "UNSUPPORTED");
    assert.equal(res.headers.get("allow"), "GET, POST");
  });

  it("CONFLICT and LIMIT_EXCEEDED 409", async () => {
    expectStatus(await admin.post("/tenancies/acme/groups", { name: "DEV" }), 201, "first");
    expectError(await admin.post("/tenancies/acme/groups", { name: "DEV" }), 409, "CONFLICT", /already exists/);
    await admin.post("/tenancies/acme/users/dev/auth-tokens", {});
    expectError(await admin.post("/tenancies/acme/users/dev/auth-tokens", {}), 409, "LIMIT_EXCEEDED", /already has 2 auth tokens/);
  });

  it("SIZE_INVALID 413 for a document over 256 KiB", async () => {
    const res = await admin.post("/tenancies/acme/users", { name: "big", description: "x".repeat(300 * 1024) });
    expectError(res, 413, "SIZE_INVALID");
  });

  it("TOOMANYREQUESTS 429 with Retry-After once logins keep failing", async () => {
    const from = "127.0.0.9";
    for (let i = 0; i < 3; i++) {
      expectError(await rawCall(url("/whoami"), { headers: { Authorization: basic("acme/dev", `wrong-${i}-xxxxxxxxxxxx`) }, localAddress: from }), 401, "UNAUTHORIZED");
    }
    const res = await rawCall(url("/whoami"), { headers: { Authorization: basic("acme/dev", "wrong-again-xxxxxxxxxx") }, localAddress: from });
    expectError(res, 429, "TOOMANYREQUESTS");
    assert.ok(Number(res.headers.get("retry-after")) > 0);
  });
});

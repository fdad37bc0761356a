// The retention admin API over a real `berth serve` with auth: who may call each route (route ×
// principal), the OCI error envelope of bad input, and the audit of changes. Every answer is
// also checked against the OpenAPI document by the helpers.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { until } from "../helpers/until.js";
import { api, call, expectStatus, OPERATOR, pushImage, basic, startAuthRegistry, type AuthRegistry, type Call } from "../iam/support.js";

type Client = ReturnType<typeof api> & { put(path: string, json: unknown): Promise<Call> };

function client(registry: AuthRegistry, login: string, secret: string): Client {
  const headers = { Authorization: basic(login, secret) };
  return Object.assign(api(registry, login, secret), {
    put: (path: string, json: unknown) => call(`${registry.url}/api/v1${path}`, { method: "PUT", headers, json }),
  });
}

describe("retention admin API", () => {
  let registry: AuthRegistry;
  let admin: Client;
  let manager: Client;
  let user: Client;
  let rival: Client;
  let anonymous: Client;
  let rivalToken: string;

  before(async () => {
    registry = await startAuthRegistry({ BERTH_AUTH_RATELIMIT_PERUSERADDRESS: "1000", BERTH_AUTH_RATELIMIT_PERADDRESS: "1000" });
    const operator = api(registry, OPERATOR, registry.operatorToken);
    const shop = await operator.post("/tenancies", { namespace: "shop", adminUser: "boss" });
    expectStatus(shop, 201, "tenancy");
    admin = client(registry, "shop/boss", shop.body.data.token);
    const other = await operator.post("/tenancies", { namespace: "rival", adminUser: "boss" });
    rivalToken = other.body.data.token;
    rival = client(registry, "rival/boss", rivalToken);
    anonymous = client(registry, "nobody/none", "not-a-valid-token-123");
    const people: Record<string, string> = {};
    for (const [name, group] of [["mia", "MANAGERS"], ["uli", "USERS"]] as const) {
      expectStatus(await admin.post("/tenancies/shop/groups", { name: group }), 201, group);
      expectStatus(await admin.post("/tenancies/shop/users", { name }), 201, name);
      expectStatus(await admin.post(`/tenancies/shop/groups/${group}/members`, { user: name }), 204, "member");
      people[name] = (await admin.post(`/tenancies/shop/users/${name}/auth-tokens`, {})).body.data.token;
    }
    const statements = ["Allow group MANAGERS to manage repos in tenancy", "Allow group USERS to use repos in tenancy"];
    expectStatus(await admin.post("/tenancies/shop/policies", { name: "Repos", statements }), 201, "policy");
    manager = client(registry, "shop/mia", people.mia!);
    user = client(registry, "shop/uli", people.uli!);
    assert.equal(await pushImage(registry, "shop/ci", "v1", basic("shop/mia", people.mia!)), 201);
  });
  after(() => registry?.close());

  it("route × principal: Administrators and `manage repos` users manage; `use` users only read; other tenancies and bad credentials are refused", async () => {
    for (const [who, actor, name] of [["manager", () => manager, "ci"], ["admin", () => admin, "ci2"]] as const) {
      const rows: { method: "GET" | "PUT" | "POST" | "PATCH" | "DELETE"; path: string; body?: unknown; status: number }[] = [
        { method: "GET", path: "/tenancies/shop/retention/global", status: 200 },
        { method: "PUT", path: "/tenancies/shop/retention/global", body: { untaggedForDays: 30 }, status: 200 },
        { method: "POST", path: "/tenancies/shop/retention/policies", body: { name, rules: { keepNewest: 3 } }, status: 201 },
        { method: "GET", path: "/tenancies/shop/retention/policies", status: 200 },
        { method: "GET", path: `/tenancies/shop/retention/policies/${name}`, status: 200 },
        { method: "PATCH", path: `/tenancies/shop/retention/policies/${name}`, body: { notPulledForDays: 90 }, status: 200 },
        { method: "PUT", path: `/tenancies/shop/retention/policies/${name}/repositories/shop%2Fci`, body: {}, status: 200 },
        { method: "GET", path: "/tenancies/shop/retention/preview", status: 200 },
        { method: "GET", path: `/tenancies/shop/retention/policies/${name}/preview`, status: 200 },
        { method: "GET", path: "/tenancies/shop/retention/policies/global/preview", status: 200 },
        { method: "DELETE", path: `/tenancies/shop/retention/policies/${name}/repositories/shop%2Fci`, status: 204 },
        { method: "DELETE", path: `/tenancies/shop/retention/policies/${name}`, status: 204 },
      ];
      for (const row of rows) {
        const send = (c: Client) =>
          row.method === "GET" ? c.get(row.path) : row.method === "DELETE" ? c.delete(row.path) : row.method === "PUT" ? c.put(row.path, row.body) : row.method === "POST" ? c.post(row.path, row.body) : c.patch(row.path, row.body);
        const what = `${row.method} ${row.path}`;
        const denied = await send(rival);
        expectStatus(denied, 403, `rival admin: ${what}`);
        assert.equal(denied.body.errors[0].code, "DENIED");
        expectStatus(await send(anonymous), 401, `bad credentials: ${what}`);
        expectStatus(await send(user), row.method === "GET" ? 200 : 403, `use user: ${what}`);
        expectStatus(await send(actor()), row.status, `${who}: ${what}`);
      }
    }
    // Each serving process writes its audit events within a second: wait for all of them.
    type Event = { actor: string; action: string; target: string; outcome: string };
    const seen = (events: Event[], actor: string, action: string, target: string, outcome = "ok") =>
      events.some((e) => e.actor === actor && e.action === action && e.target === target && e.outcome === outcome);
    await until("the retention changes and denials in shop's audit log", async () => {
      const events = (await admin.get("/tenancies/shop/audit?limit=200")).body.data as Event[];
      const all =
        seen(events, "shop/mia", "CreateRetentionPolicy", "shop/retention/ci") &&
        seen(events, "shop/boss", "DeleteRetentionPolicy", "shop/retention/ci2") &&
        seen(events, "shop/uli", "UpdateRetentionPolicy", "shop", "denied");
      return all ? true : undefined;
    });
    const rivalEvents = (await rival.get("/tenancies/rival/audit?limit=100")).body.data as { target: string }[];
    assert.ok(rivalEvents.every((e) => !e.target.includes("retention/ci")), "nothing of shop's policies in the rival's log");
  });

  it("answers the policy's shape, and bad input with the error envelope", async () => {
    const global = await manager.put("/tenancies/shop/retention/global", { notPulledForDays: 60, exemptTags: ["release-*"] });
    expectStatus(global, 200, "update global");
    assert.deepEqual(global.body.data.rules, { notPulledForDays: 60, untaggedForDays: null, keepNewest: null, exemptTags: ["release-*"] });
    assert.equal(Date.parse(global.body.data.effectiveAt) - Date.parse(global.body.data.changedAt), 86_400_000);

    const bad = async (res: Call, status: number, code: string, message: RegExp) => {
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.equal(res.body.errors[0].code, code);
      assert.match(res.body.errors[0].message, message);
    };
    await bad(await manager.put("/tenancies/shop/retention/global", { keepNewest: 0 }), 400, "INVALID", /keepNewest/);
    await bad(await manager.put("/tenancies/shop/retention/global", { keepForever: true }), 400, "INVALID", /keepForever|unrecognized/i);
    await bad(await manager.put("/tenancies/shop/retention/global", { exemptTags: ["no/slash"] }), 400, "INVALID", /exempt tag/);
    await bad(await manager.post("/tenancies/shop/retention/policies", { name: "global" }), 400, "INVALID", /policy name/);
    await bad(await manager.get("/tenancies/shop/retention/policies/missing"), 404, "NOT_FOUND", /retention policy shop\/missing/);
    expectStatus(await manager.post("/tenancies/shop/retention/policies", { name: "a", repositories: ["shop/ci"] }), 201, "a");
    await bad(await manager.post("/tenancies/shop/retention/policies", { name: "b", repositories: ["shop/ci"] }), 409, "CONFLICT", /in retention policy a already/);
    await bad(await manager.get("/tenancies/shop/retention/policies/b"), 404, "NOT_FOUND", /b/);
    expectStatus(await manager.post("/tenancies/shop/retention/policies", { name: "b" }), 201, "b");
    await bad(await manager.put("/tenancies/shop/retention/policies/b/repositories/shop%2Fci", {}), 409, "CONFLICT", /in retention policy a/);
    await bad(await manager.put("/tenancies/shop/retention/policies/b/repositories/rival%2Fx", {}), 400, "INVALID", /not in tenancy shop/);
    await bad(await manager.delete("/tenancies/shop/retention/policies/b/repositories/shop%2Fci"), 404, "NOT_FOUND", /shop\/ci/);
    const listed = await manager.get("/tenancies/shop/retention/policies");
    assert.deepEqual(
      listed.body.data.map((p: { name: string; repositories: string[] }) => [p.name, p.repositories]),
      [
        ["a", ["shop/ci"]],
        ["b", []],
      ],
    );
    // A deleted tenancy's policies go with it: one created later under its name starts afresh.
    const operator = api(registry, OPERATOR, registry.operatorToken);
    expectStatus(await call(`${registry.url}/api/v1/tenancies/rival/retention/global`, { method: "PUT", headers: { Authorization: basic("rival/boss", rivalToken) }, json: { keepNewest: 1 } }), 200, "rival's global");
    expectStatus(await operator.delete("/tenancies/rival"), 204, "delete rival");
    const again = await operator.post("/tenancies", { namespace: "rival", adminUser: "boss" });
    const fresh = await api(registry, "rival/boss", again.body.data.token).get("/tenancies/rival/retention/global");
    assert.deepEqual([fresh.body.data.rules.keepNewest, fresh.body.data.changedAt], [null, null]);

    const preview = await manager.get("/tenancies/shop/retention/preview");
    assert.deepEqual(preview.body.data.policies.map((p: { name: string; inEffect: boolean }) => [p.name, p.inEffect]), [["global", false], ["a", false], ["b", false]]);
  });
});

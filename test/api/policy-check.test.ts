// POST /api/v1/tenancies/{ns}/policies/check over a real `berth serve`: each statement is checked
// by the server's own parser, as creating the policy would check it, with the reason, the 1-based
// column and the length of the offending token; nothing is saved or audited; only those who may
// list the tenancy's policies may ask.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { api, call, expectStatus, OPERATOR, startAuthRegistry, type AuthRegistry } from "../iam/support.js";

type Client = ReturnType<typeof api>;

describe("POST /api/v1/tenancies/{ns}/policies/check", () => {
  let registry: AuthRegistry;
  let operator: Client;
  let admin: Client;
  let member: Client;
  let rival: Client;

  before(async () => {
    registry = await startAuthRegistry({ BERTH_AUTH_RATELIMIT_PERUSERADDRESS: "1000", BERTH_AUTH_RATELIMIT_PERADDRESS: "1000" });
    operator = api(registry, OPERATOR, registry.operatorToken);
    const shop = await operator.post("/tenancies", { namespace: "shop", adminUser: "boss" });
    admin = api(registry, "shop/boss", shop.body.data.token);
    rival = api(registry, "rival/boss", (await operator.post("/tenancies", { namespace: "rival", adminUser: "boss" })).body.data.token);
    expectStatus(await admin.post("/tenancies/shop/users", { name: "max" }), 201, "user");
    member = api(registry, "shop/max", (await admin.post("/tenancies/shop/users/max/auth-tokens", {})).body.data.token);
  });
  after(() => registry?.close());

  const check = async (c: Client, statements: unknown[]) => {
    const res = await c.post("/tenancies/shop/policies/check", { statements });
    expectStatus(res, 200, "check");
    return res.body.data.statements as { ok: boolean; message?: string; column?: number; length?: number }[];
  };

  it("answers per statement: ok, or the parser's reason with its 1-based column and the token's length", async () => {
    const bad = "Allow group DEV too read repos in tenancy";
    const answers = await check(admin, ["Allow group DEV to read repos in tenancy", bad, "Allow group DEV to read repos in tenancy where", ""]);
    assert.deepEqual(answers[0], { ok: true });
    assert.equal(answers[1]!.ok, false);
    assert.equal(answers[1]!.column, bad.indexOf("too") + 1, "the column of `too`");
    assert.equal(answers[1]!.length, 3);
    assert.match(answers[1]!.message!, /expected .*to.* but found "too"/);
    assert.doesNotMatch(answers[1]!.message!, /^column/, "the column travels apart from the message");
    assert.equal(answers[2]!.ok, false);
    assert.equal(answers[2]!.column, "Allow group DEV to read repos in tenancy where".length + 1, "the end of the statement");
    assert.equal(answers[2]!.length, undefined);
    assert.deepEqual(answers[3], { ok: false, message: "empty statement", column: 1 });
  });

  it("agrees with creating the policy: the same statement is refused at the same column", async () => {
    const bad = "Allow group DEV to reed repos in tenancy";
    const [answer] = await check(admin, [bad]);
    const created = await admin.post("/tenancies/shop/policies", { name: "Typo", statements: [bad] });
    expectStatus(created, 400, "create");
    assert.equal(created.body.errors[0].detail.column, answer!.column);
    assert.equal(created.body.errors[0].detail.reason, answer!.message);
  });

  it("reports statements beyond the 50 a policy holds, and refuses a body that is not statements", async () => {
    const answers = await check(admin, Array.from({ length: 51 }, () => "Allow group DEV to read repos in tenancy"));
    assert.deepEqual(answers[49], { ok: true });
    assert.deepEqual(answers[50], { ok: false, message: "a policy holds at most 50 statements", column: 1 });
    expectStatus(await admin.post("/tenancies/shop/policies/check", { statements: [1] }), 400, "a number");
    expectStatus(await admin.post("/tenancies/shop/policies/check", {}), 400, "no statements");
  });

  it("saves nothing", async () => {
    await check(admin, ["Allow group DEV to read repos in tenancy"]);
    const policies = await admin.get("/tenancies/shop/policies");
    assert.deepEqual(policies.body.data, []);
  });

  it("refuses anonymous callers, users who may not list policies, other tenancies and the operator", async () => {
    const statements = ["Allow group DEV to read repos in tenancy"];
    expectStatus(await call(`${registry.url}/api/v1/tenancies/shop/policies/check`, { method: "POST", json: { statements } }), 401, "anonymous");
    expectStatus(await member.post("/tenancies/shop/policies/check", { statements }), 403, "a member");
    const outsider = await rival.post("/tenancies/shop/policies/check", { statements });
    const missing = await rival.post("/tenancies/nothing/policies/check", { statements });
    expectStatus(outsider, 403, "another tenancy's admin");
    expectStatus(missing, 403, "a tenancy that does not exist: the same answer");
    expectStatus(await operator.post("/tenancies/shop/policies/check", { statements }), 403, "the operator does not read a tenancy's policies");
  });
});

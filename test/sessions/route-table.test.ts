// The session routes × every kind of principal, by HTTP Basic and by session cookie, against a
// real `berth serve` (the admin routes' table is test/api/route-table.test.ts): anonymous, the
// operator, a tenancy's administrator, the user themself, a user of the tenancy with a `manage`
// policy, and another tenancy's administrator. Each denial leaves one audit record, in the
// principal's tenancy.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { until } from "../helpers/until.js";
import { expectStatus, OPERATOR, startAuthRegistry, type AuthRegistry } from "../iam/support.js";
import { basicApi, ConsoleClient, send } from "./support.js";

type Who = "operator" | "admin" | "self" | "manager" | "outsider";
const LOGINS: Record<Who, string> = { operator: OPERATOR, admin: "acme/boss", self: "acme/dev", manager: "acme/ops", outsider: "beta/chief" };
const TENANCY: Record<Who, string> = { operator: "berth", admin: "acme", self: "acme", manager: "acme", outsider: "beta" };
const EVERYONE = Object.keys(LOGINS) as Who[];
/** Who may set acme/dev's console password: acme's Administrators and dev (not the operator: no one else signs in as dev). */
const MAY_SET: Who[] = ["admin", "self"];

describe("session routes × every kind of principal", () => {
  let registry: AuthRegistry;
  const secrets = {} as Record<Who, string>;
  let passwords = 0;
  const password = () => `console password number ${++passwords}`;

  before(async () => {
    registry = await startAuthRegistry({ BERTH_HTTP_WORKERS: "1" });
    secrets.operator = registry.operatorToken;
    const operator = basicApi(registry.url, OPERATOR, registry.operatorToken);
    secrets.admin = (await operator.post("/tenancies", { namespace: "acme", adminUser: "boss" })).body.data.token;
    secrets.outsider = (await operator.post("/tenancies", { namespace: "beta", adminUser: "chief" })).body.data.token;
    const boss = basicApi(registry.url, "acme/boss", secrets.admin);
    for (const user of ["dev", "ops"]) {
      expectStatus(await boss.post("/tenancies/acme/users", { name: user }), 201, user);
      secrets[user === "dev" ? "self" : "manager"] = (await boss.post(`/tenancies/acme/users/${user}/auth-tokens`, {})).body.data.token;
    }
    expectStatus(await boss.post("/tenancies/acme/groups", { name: "OPS" }), 201, "OPS");
    expectStatus(await boss.post("/tenancies/acme/groups/OPS/members", { user: "ops" }), 204, "ops in OPS");
    expectStatus(await boss.post("/tenancies/acme/policies", { name: "Managers", statements: ["Allow group OPS to manage repos in tenancy"] }), 201, "manage repos (not users)");
  });
  after(() => registry?.close());

  it("POST, GET and DELETE /session: anyone signs in as themself; anonymous gets 401", async () => {
    for (const who of EVERYONE) {
      const browser = new ConsoleClient(registry.url);
      expectStatus(await browser.signIn(LOGINS[who], secrets[who]), 201, `${who} signs in`);
      const current = await browser.send("GET", "/session");
      expectStatus(current, 200, `${who}: GET /session`);
      assert.equal(current.body.data.user, LOGINS[who]);
      expectStatus(await browser.send("DELETE", "/session"), 204, `${who}: signs out`);
      expectStatus(await browser.send("GET", "/session"), 401, `${who}: signed out`);
    }
    expectStatus(await new ConsoleClient(registry.url).signIn("acme/dev", "no such secret"), 401, "bad credentials");
    expectStatus(await send(`${registry.url}/api/v1/session`), 401, "anonymous GET");
    expectStatus(await send(`${registry.url}/api/v1/session`, { method: "DELETE" }), 401, "anonymous DELETE");
  });

  it("PUT console-password of acme/dev: acme's Administrators and dev themself, by Basic and by session; nobody else (a manager of repos, the operator neither)", async () => {
    const path = "/tenancies/acme/users/dev/console-password";
    const anonymous = await send(`${registry.url}/api/v1${path}`, { method: "PUT", json: { password: password() } });
    expectStatus(anonymous, 401, "anonymous");
    let lastSet = "";
    for (const who of EVERYONE) {
      const basic = await basicApi(registry.url, LOGINS[who], secrets[who]).put(path, { password: password() });
      const browser = new ConsoleClient(registry.url);
      expectStatus(await browser.signIn(LOGINS[who], secrets[who]), 201, `${who} signs in`);
      const tried = password();
      const cookie = await browser.send("PUT", path, { password: tried });
      if (cookie.status === 204) lastSet = tried;
      for (const [how, res] of [["Basic", basic], ["session", cookie]] as const) {
        if (MAY_SET.includes(who)) {
          expectStatus(res, 204, `${who} by ${how}`);
        } else {
          expectStatus(res, 403, `${who} by ${how}`);
          assert.equal(res.body.errors[0].code, "DENIED");
          assert.ok(res.body.errors[0].message.length > 10, "a reason");
        }
      }
    }
    expectStatus(await new ConsoleClient(registry.url).signIn("acme/dev", lastSet), 201, "the last password set is dev's");

    const operator = basicApi(registry.url, OPERATOR, registry.operatorToken);
    const refused = EVERYONE.filter((who) => !MAY_SET.includes(who));
    // Two denials each (Basic, then session), within a second in the audit log.
    const events = await until("every denial in the audit log", async () => {
      const all = (await operator.get("/audit?limit=1000")).body.data as { actor: string; action: string; outcome: string; tenancy: string | null; target: string }[];
      const denied = all.filter((e) => e.outcome === "denied" && e.action === "SetConsolePassword");
      return denied.length >= refused.length * 2 ? denied : undefined;
    });
    assert.equal(events.length, refused.length * 2, "one record per denial");
    for (const who of refused) {
      const mine = events.filter((e) => e.actor === LOGINS[who]);
      assert.equal(mine.length, 2, `${who}: Basic and session`);
      assert.deepEqual([...new Set(mine.map((e) => e.tenancy))], [TENANCY[who]], `${who}: in the principal's tenancy`);
    }
    const acme = (await basicApi(registry.url, "acme/boss", secrets.admin).get("/tenancies/acme/audit?limit=1000")).body.data as { actor: string }[];
    assert.ok(!acme.some((e) => e.actor === LOGINS.outsider), "acme's log says nothing of what beta's admin tried");
    const set = acme.filter((e: any) => e.action === "SetConsolePassword" && e.outcome === "ok");
    assert.equal(set.length, MAY_SET.length * 2, "each change recorded once");
  });
});

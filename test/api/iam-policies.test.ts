// IAM granted by policies, over a real `berth serve` with auth: a help desk that may manage users
// (and their credentials) but not groups, policies or Administrators; a group keeper who may manage
// every group's members except Administrators'; an auditor who reads the audit log and nothing else.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { api, expectStatus, OPERATOR, startAuthRegistry, type AuthRegistry } from "../iam/support.js";

type Client = ReturnType<typeof api>;

describe("IAM operations granted by policies", () => {
  let registry: AuthRegistry;
  let admin: Client;
  let helpdesk: Client;
  let keeper: Client;
  let auditor: Client;

  before(async () => {
    registry = await startAuthRegistry({ BERTH_AUTH_RATELIMIT_PERUSERADDRESS: "1000", BERTH_AUTH_RATELIMIT_PERADDRESS: "1000" });
    const operator = api(registry, OPERATOR, registry.operatorToken);
    const shop = await operator.post("/tenancies", { namespace: "shop", adminUser: "boss" });
    expectStatus(shop, 201, "tenancy");
    admin = api(registry, "shop/boss", shop.body.data.token);
    const statements = [
      "Allow group HelpDesk to manage users in tenancy",
      "Allow group Keepers to manage groups in tenancy",
      "Allow group Keepers to inspect users in tenancy",
      "Allow group Auditors to read audit-events in tenancy",
    ];
    expectStatus(await admin.post("/tenancies/shop/policies", { name: "Identity", statements }), 201, "policy");
    const member = async (user: string, group: string): Promise<Client> => {
      expectStatus(await admin.post("/tenancies/shop/groups", { name: group }), 201, group);
      expectStatus(await admin.post("/tenancies/shop/users", { name: user }), 201, user);
      expectStatus(await admin.post(`/tenancies/shop/groups/${group}/members`, { user }), 204, `${user} in ${group}`);
      return api(registry, `shop/${user}`, (await admin.post(`/tenancies/shop/users/${user}/auth-tokens`, {})).body.data.token);
    };
    helpdesk = await member("helen", "HelpDesk");
    keeper = await member("gus", "Keepers");
    auditor = await member("ada", "Auditors");
    expectStatus(await admin.post("/tenancies/shop/groups", { name: "Developers" }), 201, "Developers");
  });
  after(() => registry?.close());

  it("manage users: create, unlock, issue a token for and delete a user; not groups, policies or the audit log", async () => {
    expectStatus(await helpdesk.post("/tenancies/shop/users", { name: "newbie" }), 201, "create");
    expectStatus(await helpdesk.post("/tenancies/shop/users/newbie/unlock", {}), 204, "unlock");
    const issued = await helpdesk.post("/tenancies/shop/users/newbie/auth-tokens", {});
    expectStatus(issued, 201, "token for another user");
    expectStatus(await helpdesk.get("/tenancies/shop/users"), 200, "list");
    expectStatus(await helpdesk.delete("/tenancies/shop/users/newbie"), 204, "delete");
    const group = await helpdesk.post("/tenancies/shop/groups", { name: "Mine" });
    expectStatus(group, 403, "create group");
    assert.equal(group.body.errors[0].message, "only Administrators of tenancy shop, or groups a policy lets manage groups in it, may create groups");
    expectStatus(await helpdesk.post("/tenancies/shop/policies", { name: "Escalate", statements: ["Allow group HelpDesk to manage all-resources in tenancy"] }), 403, "create policy");
    expectStatus(await helpdesk.get("/tenancies/shop/audit"), 403, "audit");
  });

  it("never over Administrators: not their deletion, not their credentials", async () => {
    expectStatus(await helpdesk.get("/tenancies/shop/users/boss"), 200, "read an Administrator");
    for (const res of [await helpdesk.delete("/tenancies/shop/users/boss"), await helpdesk.post("/tenancies/shop/users/boss/auth-tokens", {})]) {
      expectStatus(res, 403, "an Administrator");
      assert.match(res.body.errors[0].message, /^only Administrators of tenancy shop may .* where Administrators are concerned/);
    }
  });

  it("manage groups: members of any group but Administrators", async () => {
    expectStatus(await keeper.post("/tenancies/shop/groups/Developers/members", { user: "gus" }), 204, "join Developers");
    expectStatus(await keeper.delete("/tenancies/shop/groups/Developers/members/gus"), 204, "leave Developers");
    expectStatus(await keeper.get("/tenancies/shop/groups/Administrators/members"), 200, "read Administrators");
    const escalate = await keeper.post("/tenancies/shop/groups/Administrators/members", { user: "gus" });
    expectStatus(escalate, 403, "join Administrators");
    const boss = await admin.get("/tenancies/shop/users/gus");
    assert.deepEqual(boss.body.data.groups.map((g: { name: string }) => g.name), ["Keepers"], "gus is no Administrator");
    const asked = await keeper.get("/permissions?operations=AddUserToGroup,ListGroupMembers&group=Administrators");
    assert.deepEqual(asked.body.data.allowed, ["ListGroupMembers"]);
    const elsewhere = await keeper.get("/permissions?operations=AddUserToGroup,ListUsers,CreateUser,ListPolicies&group=Developers");
    assert.deepEqual(elsewhere.body.data.allowed, ["AddUserToGroup", "ListUsers"]);
  });

  it("read audit-events: the tenancy's audit log, and the record names the policy-granted changes' authors", async () => {
    const events = await auditor.get("/tenancies/shop/audit?limit=200");
    expectStatus(events, 200, "audit");
    const actions = events.body.data.map((e: { actor: string; action: string }) => `${e.actor} ${e.action}`);
    assert.ok(actions.includes("shop/helen CreateUser"), "the help desk's user creation is audited under its name");
    expectStatus(await auditor.get("/tenancies/shop/users"), 403, "users");
  });
});

// The decision's rules on every kind of target, in process over an in-memory SQLite: operators,
// tenancy walls, Administrators, self-service, policies, public repositories, registry tokens, the
// reasons, and where each denial is recorded.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { pino } from "pino";
import type { VerifiedToken } from "../../src/auth/tokens.js";
import { PolicyAuthorization } from "../../src/authz/authorization.js";
import { groupTarget, REGISTRY, repositoryTarget, tenancyTarget, userTarget } from "../../src/authz/target.js";
import { AccessControl } from "../../src/iam/access.js";
import { AuditLog } from "../../src/iam/audit.js";
import { ADMINISTRATORS, ANONYMOUS, LOCAL_OPERATOR, userPrincipal, type Principal } from "../../src/iam/principal.js";
import type { AuditEvent } from "../../src/iam/store.js";
import { openSqliteStores } from "../../src/metadata/sqlite.js";

describe("Authorization.decide", () => {
  let stores: Awaited<ReturnType<typeof openSqliteStores>>;
  let audit: AuditLog;
  let authz: PolicyAuthorization;
  const who: Record<string, Principal> = {};

  before(async () => {
    stores = await openSqliteStores(":memory:", { repositoryLimits: true });
    const { iam, meta } = stores;
    const log = pino({ level: "silent" });
    let clock = 0;
    const now = () => ++clock; // events in the order they happened
    const user = async (tenancy: string, name: string, groups: string[]) => {
      const u = { id: randomUUID(), tenancy, name, description: "", createdAt: 0 };
      await iam.createUser(u);
      const rows = [];
      for (const g of groups) {
        const group = (await iam.getGroup(tenancy, g))!;
        await iam.addMember(group.id, u.id);
        rows.push(group);
      }
      return userPrincipal(u, rows);
    };
    for (const tenancy of ["berth", "acme", "other"]) {
      await iam.createTenancy({ namespace: tenancy, description: "", repositoryLimit: 10, createdAt: 0 });
      for (const g of [ADMINISTRATORS, "READERS"]) await iam.createGroup({ id: randomUUID(), tenancy, name: g, description: "", createdAt: 0 });
    }
    await iam.createPolicy({ id: randomUUID(), tenancy: "acme", name: "Read", description: "", statements: ["Allow group READERS to read repos in tenancy"], createdAt: 0 });
    for (const g of ["HELPDESK", "GROUPKEEPERS", "AUDITORS", "UNLOCKERS"]) await iam.createGroup({ id: randomUUID(), tenancy: "acme", name: g, description: "", createdAt: 0 });
    await iam.createPolicy({
      id: randomUUID(),
      tenancy: "acme",
      name: "Identity",
      description: "",
      statements: [
        "Allow group HelpDesk to manage users in tenancy",
        "Allow group GroupKeepers to manage groups in tenancy",
        "Allow group Auditors to read audit-events in tenancy",
        "Allow group Unlockers to manage users in tenancy where request.operation = 'UnlockUser'",
        "Allow group Unlockers to manage groups in tenancy where target.group.name = 'readers'",
        "Allow group Unlockers to manage users in tenancy where target.user.name = 'reader'",
      ],
      createdAt: 0,
    });
    who.operator = await user("berth", "root", [ADMINISTRATORS]);
    who.operatorMember = await user("berth", "helper", ["READERS"]);
    who.admin = await user("acme", "boss", [ADMINISTRATORS]);
    who.reader = await user("acme", "reader", ["READERS"]);
    who.stranger = await user("other", "mallory", [ADMINISTRATORS]);
    who.helpdesk = await user("acme", "helen", ["HELPDESK"]);
    who.groupKeeper = await user("acme", "gus", ["GROUPKEEPERS"]);
    who.auditor = await user("acme", "ada", ["AUDITORS"]);
    who.unlocker = await user("acme", "uma", ["UNLOCKERS"]);
    for (const name of ["acme/app", "acme/pub"]) await meta.createRepository(name, 0);
    await iam.setRepositoryPublic("acme/pub", true);
    audit = new AuditLog(iam, log, now, 60_000);
    authz = new PolicyAuthorization(iam, new AccessControl(iam, log), audit, { operatorNamespace: "berth" });
  });
  after(async () => {
    await audit?.close();
    await stores?.meta.close();
  });

  const records = async (): Promise<AuditEvent[]> => {
    await audit.flush();
    return (await stores.iam.listAudit({ limit: 1000 })).reverse();
  };

  it("operators do operator work; in other tenancies only the local one may do everything, the others look; nobody else does operator work", async () => {
    for (const p of [LOCAL_OPERATOR, who.operator!]) {
      assert.deepEqual(await authz.decide(p, "CreateTenancy", REGISTRY), { allowed: true });
      for (const look of ["ListDockerRepositories", "GetContainerRepository", "ListTags", "ListImages", "ReadUsage", "ReadAuditEvents", "UnlockUser"] as const) {
        assert.deepEqual(await authz.decide(p, look, look === "UnlockUser" ? userTarget("acme", "reader") : repositoryTarget("acme/app")), { allowed: true }, look);
      }
    }
    assert.deepEqual(await authz.decide(LOCAL_OPERATOR, "CreateUser", tenancyTarget("acme")), { allowed: true });
    assert.deepEqual(await authz.decide(LOCAL_OPERATOR, "DeleteImage", repositoryTarget("acme/app")), { allowed: true });
    for (const touch of ["CreateUser", "CreateAuthToken", "SetConsolePassword"] as const) {
      assert.equal((await authz.decide(who.operator!, touch, touch === "CreateUser" ? tenancyTarget("acme") : userTarget("acme", "reader"), { audit: false })).allowed, false, touch);
    }
    for (const touch of ["PullImage", "PushImage", "DeleteImage"] as const) {
      assert.equal((await authz.decide(who.operator!, touch, repositoryTarget("acme/app"), { audit: false })).allowed, false, touch);
    }
    for (const p of [who.operatorMember!, who.admin!]) {
      assert.deepEqual(await authz.decide(p, "CreateTenancy", REGISTRY, { audit: false }), { allowed: false, status: 403, reason: "only registry operators may create tenancies" });
      assert.equal((await authz.decide(p, "UpdateTenancyLimit", tenancyTarget("acme"), { audit: false })).allowed, false);
    }
  });

  it("IAM operations: Administrators of the tenancy; a user on themself; never across the wall", async () => {
    assert.deepEqual(await authz.decide(who.admin!, "CreateUser", tenancyTarget("acme")), { allowed: true });
    assert.deepEqual(await authz.decide(who.reader!, "CreateUser", tenancyTarget("acme"), { audit: false }), {
      allowed: false,
      status: 403,
      reason: "only Administrators of tenancy acme, or groups a policy lets manage users in it, may create users",
    });
    assert.deepEqual(await authz.decide(who.reader!, "UpdateTenancy", tenancyTarget("acme"), { audit: false }), {
      allowed: false,
      status: 403,
      reason: "only Administrators of tenancy acme may change this tenancy",
    });
    assert.deepEqual(await authz.decide(who.reader!, "CreateAuthToken", userTarget("acme", "reader")), { allowed: true });
    assert.deepEqual(await authz.decide(who.reader!, "SetConsolePassword", userTarget("acme", "reader")), { allowed: true });
    assert.equal((await authz.decide(who.reader!, "CreateAuthToken", userTarget("acme", "boss"), { audit: false })).allowed, false);
    assert.equal((await authz.decide(who.reader!, "GetTenancy", tenancyTarget("acme"))).allowed, true);
    assert.equal((await authz.decide(who.stranger!, "ListUsers", tenancyTarget("acme"), { audit: false })).allowed, false);
    assert.equal((await authz.decide(who.stranger!, "GetTenancy", tenancyTarget("acme"), { audit: false })).allowed, false);
    assert.deepEqual(await authz.decide(ANONYMOUS, "GetTenancy", tenancyTarget("acme"), { audit: false }), { allowed: false, status: 401, reason: "authentication required" });
  });

  it("IAM operations by policy: users, groups, policies, audit-events as OCI grants them, never over Administrators", async () => {
    const may = async (p: Principal, op: Parameters<typeof authz.decide>[1], target: Parameters<typeof authz.decide>[2]) => (await authz.decide(p, op, target, { audit: false })).allowed;
    const acme = tenancyTarget("acme");
    // manage users: users and their credentials, nothing else
    for (const op of ["ListUsers", "CreateUser"] as const) assert.equal(await may(who.helpdesk!, op, acme), true, op);
    for (const op of ["GetUser", "DeleteUser", "UnlockUser", "ListAuthTokens", "CreateAuthToken", "DeleteAuthToken", "SetConsolePassword"] as const) {
      assert.equal(await may(who.helpdesk!, op, userTarget("acme", "reader")), true, op);
    }
    for (const op of ["CreateGroup", "CreatePolicy", "ListPolicies", "ReadAuditEvents", "UpdateTenancy", "ReadUsage"] as const) assert.equal(await may(who.helpdesk!, op, acme), false, op);
    assert.equal(await may(who.helpdesk!, "PullImage", repositoryTarget("acme/app")), false, "users are not repos");
    // an Administrator's deletion and credentials stay with Administrators; reading them does not
    for (const op of ["DeleteUser", "UnlockUser", "CreateAuthToken", "DeleteAuthToken", "SetConsolePassword"] as const) {
      assert.equal(await may(who.helpdesk!, op, userTarget("acme", "boss")), false, op);
    }
    assert.equal(await may(who.helpdesk!, "GetUser", userTarget("acme", "boss")), true);
    // manage groups: any group's members but Administrators'
    assert.equal(await may(who.groupKeeper!, "AddUserToGroup", groupTarget("acme", "READERS")), true);
    assert.equal(await may(who.groupKeeper!, "RemoveUserFromGroup", groupTarget("acme", "READERS")), true);
    assert.equal(await may(who.groupKeeper!, "ListGroupMembers", groupTarget("acme", ADMINISTRATORS)), true);
    assert.deepEqual(await authz.decide(who.groupKeeper!, "AddUserToGroup", groupTarget("acme", "administrators"), { audit: false }), {
      allowed: false,
      status: 403,
      reason: "only Administrators of tenancy acme may add users to groups where Administrators are concerned (the group, its members and their credentials)",
    });
    assert.equal(await may(who.groupKeeper!, "DeleteGroup", groupTarget("acme", ADMINISTRATORS)), false);
    assert.equal(await may(who.groupKeeper!, "CreateUser", acme), false);
    // read audit-events; a condition narrows a grant to one operation
    assert.equal(await may(who.auditor!, "ReadAuditEvents", acme), true);
    assert.equal(await may(who.auditor!, "ListUsers", acme), false);
    assert.equal(await may(who.unlocker!, "UnlockUser", userTarget("acme", "reader")), true);
    assert.equal(await may(who.unlocker!, "DeleteUser", userTarget("acme", "helen")), false);
    // target.user.name and target.group.name (group names in any case) narrow a grant to one user or group
    assert.equal(await may(who.unlocker!, "DeleteUser", userTarget("acme", "reader")), true);
    assert.equal(await may(who.unlocker!, "AddUserToGroup", groupTarget("acme", "READERS")), true);
    assert.equal(await may(who.unlocker!, "AddUserToGroup", groupTarget("acme", "HELPDESK")), false);
    assert.equal(await may(who.unlocker!, "ListGroups", acme), false, "a condition on a group says nothing of the list");
    // the wall holds: acme's policies say nothing of other tenancies
    assert.equal(await may(who.helpdesk!, "CreateUser", tenancyTarget("other")), false);
  });

  it("require throws DENIED 403 with the reason, UNAUTHORIZED 401 for anonymous", async () => {
    await assert.rejects(authz.require(who.reader!, "DeleteUser", userTarget("acme", "boss"), { audit: false }), { code: "DENIED", status: 403, message: "only Administrators of tenancy acme may delete users where Administrators are concerned (the group, its members and their credentials)" });
    await assert.rejects(authz.require(ANONYMOUS, "PullImage", repositoryTarget("acme/app"), { audit: false }), { code: "UNAUTHORIZED", status: 401 });
  });

  it("repositories: policies inside the tenancy, public pulls for anyone, nothing across the wall", async () => {
    assert.equal((await authz.decide(who.reader!, "PullImage", repositoryTarget("acme/app"))).allowed, true);
    assert.equal((await authz.decide(who.stranger!, "PullImage", repositoryTarget("acme/pub"))).allowed, true);
    assert.equal((await authz.decide(ANONYMOUS, "PullImage", repositoryTarget("acme/pub"))).allowed, true);
    assert.equal((await authz.decide(ANONYMOUS, "PushImage", repositoryTarget("acme/pub"), { audit: false })).allowed, false);
    assert.deepEqual(await authz.filter(who.stranger!, "PullImage", ["acme/app", "acme/pub", "other/x"]), ["acme/pub", "other/x"]);
    assert.deepEqual(await authz.filter(who.reader!, "ListDockerRepositories", ["acme/app", "other/x"]), ["acme/app"]);
  });

  it("a registry token bounds a request to its scopes: 401 for a scope the policies would grant, their 403 otherwise", async () => {
    const bearer: VerifiedToken = { subject: { name: "acme/reader" }, access: [{ type: "repository", name: "acme/other", actions: ["pull"] }], expiresAt: Infinity };
    const facts = { bearer, audit: false };
    const pull = await authz.decide(who.reader!, "PullImage", repositoryTarget("acme/app"), facts);
    assert.equal(pull.allowed, false);
    assert.equal(!pull.allowed && pull.status, 401);
    assert.deepEqual(await authz.decide(who.reader!, "PushImage", repositoryTarget("acme/app"), facts), { allowed: false, status: 403, reason: "you may read acme/app but not push to it" });
    assert.deepEqual(await authz.decide(who.reader!, "PullImage", repositoryTarget("acme/other"), facts), { allowed: true });
  });

  it("records each denial once, in the principal's tenancy; anonymous ones in the target's only when it is public", async () => {
    const before = (await records()).length;
    await authz.decide(who.stranger!, "PullImage", repositoryTarget("acme/app"), { address: "192.0.2.1" });
    await authz.decide(who.reader!, "CreateGroup", tenancyTarget("acme"));
    await authz.decide(ANONYMOUS, "PullImage", repositoryTarget("acme/app"));
    await authz.decide(ANONYMOUS, "PushImage", repositoryTarget("acme/pub"));
    await authz.decide(who.stranger!, "PullImage", repositoryTarget("acme/app"), { audit: false });
    await authz.filter(who.stranger!, "PullImage", ["acme/app"]);
    const added = (await records()).slice(before).map((e) => ({ tenancy: e.tenancy, actor: e.actor, action: e.action, target: e.target, outcome: e.outcome }));
    assert.deepEqual(added, [
      { tenancy: "other", actor: "other/mallory", action: "PullImage", target: "acme/app", outcome: "denied" },
      { tenancy: "acme", actor: "acme/reader", action: "CreateGroup", target: "acme", outcome: "denied" },
      { tenancy: null, actor: "anonymous", action: "PullImage", target: "acme/app", outcome: "denied" },
      { tenancy: "acme", actor: "anonymous", action: "PushImage", target: "acme/pub", outcome: "denied" },
    ]);
  });
});

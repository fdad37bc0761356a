// The one suite every IamStore backend must pass: every method, and the limits under racing writers.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { IamStore } from "../../src/iam/store.js";
import { RepositoryLimitReached, type MetadataStore } from "../../src/metadata/store.js";

export interface Stores {
  meta: MetadataStore;
  iam: IamStore;
}

const token = (id: string, userId: string, createdAt = 1) => ({ id, userId, description: `d-${id}`, hash: `h-${id}`, createdAt, lastUsedAt: null });

/** `open` gives both stores over one new, empty database, with repository limits on. */
export function iamStoreSuite(name: string, open: () => Promise<Stores>): void {
  describe(`IamStore contract: ${name}`, () => {
    it("tenancies: create, get, list sorted, update, delete (refused while it holds repositories)", async () => {
      const { meta, iam } = await open();
      await iam.createTenancy({ namespace: "b", description: "B", repositoryLimit: 3, createdAt: 1 });
      await iam.createTenancy({ namespace: "a", description: "A", repositoryLimit: 5, createdAt: 2 });
      await assert.rejects(iam.createTenancy({ namespace: "a", description: "", repositoryLimit: 1, createdAt: 3 }), "a namespace is taken once");
      assert.deepEqual(await iam.getTenancy("a"), { namespace: "a", description: "A", repositoryLimit: 5, storageQuota: null, createdAt: 2 });
      assert.equal(await iam.getTenancy("c"), undefined);
      assert.deepEqual((await iam.listTenancies()).map((t) => t.namespace), ["a", "b"]);
      assert.equal(await iam.updateTenancy("a", { repositoryLimit: 7 }), true);
      assert.equal(await iam.updateTenancy("a", { description: "changed" }), true);
      assert.equal(await iam.updateTenancy("a", {}), true);
      assert.equal(await iam.updateTenancy("c", { description: "x" }), false);
      assert.deepEqual(await iam.getTenancy("a"), { namespace: "a", description: "changed", repositoryLimit: 7, storageQuota: null, createdAt: 2 });
      await iam.createTenancy({ namespace: "a-b", description: "", repositoryLimit: 5, createdAt: 2 });
      await meta.createRepository("a/app", 1);
      // Outside tenancy a, though en_US.UTF-8 sorts "a-b/x" between "a/" and "a0".
      await meta.createRepository("a-b/x", 1);
      assert.equal(await iam.deleteTenancy("a"), false, "it holds a repository");
      assert.ok(await meta.deleteRepository("a/app"));
      await iam.createUser({ id: "u1", tenancy: "a", name: "ann", description: "", createdAt: 1 });
      await iam.createGroup({ id: "g1", tenancy: "a", name: "G", description: "", createdAt: 1 });
      await iam.addMember("g1", "u1");
      await iam.createPolicy({ id: "p1", tenancy: "a", name: "p", description: "", statements: ["s"], createdAt: 1 });
      assert.ok(await iam.createAuthToken(token("t1", "u1"), 2));
      assert.equal(await iam.deleteTenancy("a"), true);
      assert.equal(await iam.deleteTenancy("a"), false);
      assert.equal(await iam.getUserById("u1"), undefined, "its users go with it");
      assert.equal(await iam.getPolicy("a", "p"), undefined);
      assert.deepEqual(await iam.listAuthTokens("u1"), []);
      assert.deepEqual(await iam.listMembers("g1"), []);
      await meta.close();
    });

    it("users and groups: unique names (groups case-insensitively), memberships both ways, deletion cascades", async () => {
      const { meta, iam } = await open();
      await iam.createTenancy({ namespace: "t", description: "", repositoryLimit: 1, createdAt: 1 });
      await iam.createUser({ id: "u2", tenancy: "t", name: "bob", description: "B", createdAt: 2 });
      await iam.createUser({ id: "u1", tenancy: "t", name: "ann", description: "A", createdAt: 1 });
      await assert.rejects(iam.createUser({ id: "u3", tenancy: "t", name: "ann", description: "", createdAt: 1 }));
      assert.deepEqual(await iam.getUser("t", "ann"), { id: "u1", tenancy: "t", name: "ann", description: "A", createdAt: 1 });
      assert.equal((await iam.getUserById("u2"))?.name, "bob");
      assert.equal(await iam.getUser("other", "ann"), undefined);
      assert.deepEqual((await iam.listUsers("t")).map((u) => u.name), ["ann", "bob"]);
      await iam.createGroup({ id: "g1", tenancy: "t", name: "Devs", description: "", createdAt: 1 });
      await iam.createGroup({ id: "g2", tenancy: "t", name: "admins", description: "", createdAt: 1 });
      await assert.rejects(iam.createGroup({ id: "g3", tenancy: "t", name: "DEVS", description: "", createdAt: 1 }));
      assert.equal((await iam.getGroup("t", "devs"))?.id, "g1");
      assert.deepEqual((await iam.listGroups("t")).map((g) => g.name), ["admins", "Devs"]);
      await iam.addMember("g1", "u2");
      await iam.addMember("g1", "u1");
      await iam.addMember("g1", "u1"); // idempotent
      await iam.addMember("g2", "u1");
      assert.deepEqual((await iam.listMembers("g1")).map((u) => u.name), ["ann", "bob"]);
      assert.deepEqual((await iam.groupsOfUser("u1")).map((g) => g.name), ["admins", "Devs"]);
      assert.equal(await iam.removeMember("g1", "u2"), true);
      assert.equal(await iam.removeMember("g1", "u2"), false);
      assert.equal(await iam.deleteGroup("g2"), true);
      assert.equal(await iam.deleteGroup("g2"), false);
      assert.deepEqual((await iam.groupsOfUser("u1")).map((g) => g.name), ["Devs"]);
      assert.ok(await iam.createAuthToken(token("t1", "u1"), 2));
      assert.equal(await iam.deleteUser("u1"), true);
      assert.equal(await iam.deleteUser("u1"), false);
      assert.deepEqual(await iam.listMembers("g1"), []);
      assert.equal(await iam.findAuthTokenByHash("h-t1"), undefined, "a deleted user's tokens go with it");
      await meta.close();
    });

    it("policies: create, get, list, update, delete", async () => {
      const { meta, iam } = await open();
      await iam.createPolicy({ id: "p2", tenancy: "t", name: "write", description: "", statements: ["a", "b"], createdAt: 1 });
      await iam.createPolicy({ id: "p1", tenancy: "t", name: "read", description: "R", statements: ["c"], createdAt: 1 });
      await assert.rejects(iam.createPolicy({ id: "p3", tenancy: "t", name: "read", description: "", statements: [], createdAt: 1 }));
      assert.deepEqual(await iam.getPolicy("t", "write"), { id: "p2", tenancy: "t", name: "write", description: "", statements: ["a", "b"], createdAt: 1 });
      assert.deepEqual((await iam.listPolicies("t")).map((p) => p.name), ["read", "write"]);
      assert.equal(await iam.updatePolicy("p2", { statements: ["z"], description: "W" }), true);
      assert.equal(await iam.updatePolicy("p2", {}), true);
      assert.equal(await iam.updatePolicy("nope", { description: "x" }), false);
      assert.deepEqual((await iam.getPolicy("t", "write"))?.statements, ["z"]);
      assert.equal(await iam.deletePolicy("p2"), true);
      assert.equal(await iam.deletePolicy("p2"), false);
      await meta.close();
    });

    it("auth tokens: at most `max` per user, found by hash, touched, deleted only by their user", async () => {
      const { meta, iam } = await open();
      assert.equal(await iam.createAuthToken(token("t1", "u1", 1), 2), true);
      assert.equal(await iam.createAuthToken(token("t2", "u1", 2), 2), true);
      assert.equal(await iam.createAuthToken(token("t3", "u1", 3), 2), false, "the limit");
      assert.equal(await iam.createAuthToken(token("t4", "u2", 4), 2), true, "per user");
      assert.deepEqual((await iam.listAuthTokens("u1")).map((t) => t.id), ["t1", "t2"]);
      assert.deepEqual(await iam.findAuthTokenByHash("h-t2"), token("t2", "u1", 2));
      assert.equal(await iam.findAuthTokenByHash("h-t3"), undefined);
      assert.equal(await iam.authTokenExists("t1"), true);
      await iam.touchAuthToken("t1", 99);
      assert.equal((await iam.findAuthTokenByHash("h-t1"))?.lastUsedAt, 99);
      assert.equal(await iam.deleteAuthToken("u2", "t1"), false, "another user's token");
      assert.equal(await iam.deleteAuthToken("u1", "t1"), true);
      assert.equal(await iam.authTokenExists("t1"), false);
      assert.equal(await iam.createAuthToken(token("t5", "u1", 5), 2), true, "room again");
      await meta.close();
    });

    it("console passwords and sessions: set ends the user's other sessions, touched forward only, purged, gone with their user", async () => {
      const { meta, iam } = await open();
      await iam.createTenancy({ namespace: "t", description: "", repositoryLimit: 1, createdAt: 1 });
      await iam.createUser({ id: "u1", tenancy: "t", name: "ann", description: "", createdAt: 1 });
      await iam.createUser({ id: "u2", tenancy: "t", name: "bob", description: "", createdAt: 1 });
      const session = (idHash: string, userId: string, lastUsedAt = 10, expiresAt = 1000) => ({
        idHash,
        userId,
        tokenId: idHash === "s1" ? "t1" : null,
        createdAt: 10,
        lastUsedAt,
        expiresAt,
      });
      for (const s of [session("s1", "u1"), session("s2", "u1"), session("s3", "u1"), session("s4", "u2")]) await iam.createSession(s);
      await assert.rejects(iam.createSession(session("s1", "u2")), "a session id is taken once");
      assert.deepEqual(await iam.getSession("s1"), session("s1", "u1"));
      assert.equal(await iam.getSession("none"), undefined);
      const v = await iam.accessVersion();

      assert.equal(await iam.getConsolePassword("u1"), undefined);
      assert.equal(await iam.setConsolePassword("u1", "scrypt$one", 20, "s2"), true);
      assert.equal(await iam.getConsolePassword("u1"), "scrypt$one");
      assert.equal(await iam.getSession("s1"), undefined, "the user's other sessions end");
      assert.equal(await iam.getSession("s3"), undefined);
      assert.ok(await iam.getSession("s2"), "the session it was set from stays");
      assert.ok(await iam.getSession("s4"), "another user's stays");
      assert.equal(await iam.setConsolePassword("u1", "scrypt$two", 30), true);
      assert.equal(await iam.getConsolePassword("u1"), "scrypt$two", "changed");
      assert.equal(await iam.getSession("s2"), undefined, "without a session to keep, every one ends");
      assert.equal(await iam.setConsolePassword("nobody", "scrypt$x", 30), false);
      assert.equal(await iam.getConsolePassword("nobody"), undefined);
      assert.equal(await iam.accessVersion(), v, "passwords and sessions change nobody's access");

      await iam.touchSession("s4", 50);
      await iam.touchSession("s4", 40);
      assert.equal((await iam.getSession("s4"))?.lastUsedAt, 50, "never moved back");
      assert.equal(await iam.deleteSession("s4"), true);
      assert.equal(await iam.deleteSession("s4"), false);

      await iam.createSession(session("fresh", "u2", 100, 1000));
      await iam.createSession(session("idle", "u2", 40, 1000));
      await iam.createSession(session("old", "u2", 100, 500));
      assert.equal(await iam.purgeSessions(500, 50), 2, "past its end, or unused since the idle limit");
      assert.ok(await iam.getSession("fresh"));
      assert.equal(await iam.getSession("idle"), undefined);
      assert.equal(await iam.getSession("old"), undefined);

      await iam.createSession(session("u1s", "u1"));
      assert.equal(await iam.deleteUser("u1"), true);
      assert.equal(await iam.getConsolePassword("u1"), undefined, "a deleted user's password goes with it");
      assert.equal(await iam.getSession("u1s"), undefined, "and its sessions");
      await iam.setConsolePassword("u2", "scrypt$bob", 1);
      assert.equal(await iam.deleteTenancy("t"), true);
      assert.equal(await iam.getConsolePassword("u2"), undefined, "a deleted tenancy's passwords go with it");
      assert.equal(await iam.getSession("fresh"), undefined, "and its sessions");
      await meta.close();
    });

    it("repositories as IAM sees them: info, visibility, a namespace's list and count in byte order", async () => {
      const { meta, iam } = await open();
      for (const namespace of ["t", "t-other", "t0", "tt", "t.x"]) await iam.createTenancy({ namespace, description: "", repositoryLimit: 10, createdAt: 1 });
      for (const name of ["t/b", "t/a", "t/a/x", "t-other/a", "t0/a", "tt/a", "t.x/a"]) await meta.createRepository(name, 5);
      assert.deepEqual(await iam.getRepositoryInfo("t/a"), { name: "t/a", isPublic: false, immutableTags: false, createdAt: 5 });
      assert.equal(await iam.getRepositoryInfo("t/none"), undefined);
      assert.equal(await iam.setRepositoryPublic("t/a", true), true);
      assert.equal(await iam.setRepositoryPublic("t/none", true), false);
      assert.equal((await iam.getRepositoryInfo("t/a"))?.isPublic, true);
      assert.deepEqual((await iam.listRepositoryInfos("t")).map((r) => r.name), ["t/a", "t/a/x", "t/b"]);
      assert.equal(await iam.countRepositories("t"), 3);
      assert.equal(await iam.countRepositories("tt"), 1);
      await meta.close();
    });

    it("login failures: counted in a window, cleared by key and by prefix (wildcards are plain)", async () => {
      const { meta, iam } = await open();
      assert.equal(await iam.loginFailures("k", 0), undefined);
      await iam.addLoginFailure("k", 100, 1000);
      await iam.addLoginFailure("k", 200, 1000);
      assert.deepEqual(await iam.loginFailures("k", 300), { count: 2, resetAt: 1100 });
      assert.equal(await iam.loginFailures("k", 1100), undefined, "the window has passed");
      await iam.addLoginFailure("k", 1200, 1000);
      assert.deepEqual(await iam.loginFailures("k", 1200), { count: 1, resetAt: 2200 }, "a new window");
      await iam.clearLoginFailures("k");
      assert.equal(await iam.loginFailures("k", 1200), undefined);
      for (const key of ["t/ann|1.2.3.4", "t/ann|5.6.7.8", "t/a_n|1.2.3.4", "t/annie|1.2.3.4"]) await iam.addLoginFailure(key, 1300, 1000);
      await iam.clearLoginFailuresWithPrefix("t/ann|");
      assert.equal(await iam.loginFailures("t/ann|1.2.3.4", 1300), undefined);
      assert.equal(await iam.loginFailures("t/ann|5.6.7.8", 1300), undefined);
      assert.equal((await iam.loginFailures("t/a_n|1.2.3.4", 1300))?.count, 1, "_ is no wildcard");
      assert.equal((await iam.loginFailures("t/annie|1.2.3.4", 1300))?.count, 1);
      await meta.close();
    });

    it("the access version moves with IAM changes, not with a token's use", async () => {
      const { meta, iam } = await open();
      const v0 = await iam.accessVersion();
      await iam.createTenancy({ namespace: "t", description: "", repositoryLimit: 1, createdAt: 1 });
      const v1 = await iam.accessVersion();
      assert.ok(v1 > v0);
      await iam.createUser({ id: "u1", tenancy: "t", name: "ann", description: "", createdAt: 1 });
      await iam.createAuthToken(token("t1", "u1"), 2);
      const v2 = await iam.accessVersion();
      assert.ok(v2 > v1);
      await iam.touchAuthToken("t1", 5);
      assert.equal(await iam.accessVersion(), v2, "using a token changes nobody's access");
      await iam.deleteAuthToken("u1", "t1");
      assert.ok((await iam.accessVersion()) > v2);
      await meta.close();
    });

    it("signing keys and the audit log", async () => {
      const { meta, iam } = await open();
      await iam.addSigningKey({ kid: "k2", privateJwk: "p2", publicJwk: "q2", createdAt: 2, retiredAt: null });
      await iam.addSigningKey({ kid: "k1", privateJwk: "p1", publicJwk: "q1", createdAt: 1, retiredAt: null });
      await iam.retireSigningKey("k1", 10);
      await iam.retireSigningKey("k1", 20); // retired once
      assert.deepEqual(await iam.listSigningKeys(), [
        { kid: "k1", privateJwk: "p1", publicJwk: "q1", createdAt: 1, retiredAt: 10 },
        { kid: "k2", privateJwk: "p2", publicJwk: "q2", createdAt: 2, retiredAt: null },
      ]);
      const event = (at: number, tenancy: string | null) => ({ at, tenancy, actor: "a", action: "b", target: "c", outcome: "ok" as const, address: "1.2.3.4", detail: null });
      await iam.appendAudit([]);
      await iam.appendAudit(Array.from({ length: 150 }, (_, i) => event(i, i % 2 ? "x" : "y")));
      assert.equal((await iam.listAudit({ limit: 1000 })).length, 150);
      const x = await iam.listAudit({ tenancy: "x", limit: 3 });
      assert.deepEqual(x.map((e) => e.at), [149, 147, 145], "newest first, one tenancy only");
      assert.deepEqual(x[0], event(149, "x"));
      assert.deepEqual((await iam.listAudit({ tenancy: "y", limit: 2, before: 100 })).map((e) => e.at), [98, 96]);
      // Pages over events that share their millisecond: each event once, in one fixed order.
      const same = (actor: string, tenancy: string | null) => ({ ...event(500, tenancy), actor });
      await iam.appendAudit([same("d", "z"), same("b", "z"), same("a", null), same("c", "z"), { ...event(499, "z"), actor: "e" }]);
      const first = await iam.listAudit({ tenancy: "z", limit: 2 });
      assert.deepEqual(first.map((e) => e.actor), ["b", "c"]);
      const second = await iam.listAudit({ tenancy: "z", limit: 2, after: { at: 500, seen: 2 } });
      assert.deepEqual(second.map((e) => e.actor), ["d", "e"]);
      assert.deepEqual((await iam.listAudit({ tenancy: "z", limit: 2, after: { at: 499, seen: 1 } })).length, 0);
      const everything = await iam.listAudit({ limit: 3 });
      assert.deepEqual(everything.map((e) => [e.actor, e.tenancy]), [["a", null], ["b", "z"], ["c", "z"]], "tenancy-less events too");
      // Filters narrow the log in the store; a page of a filtered log continues the filtered list.
      const kinds = Array.from({ length: 12 }, (_, i) => ({ ...event(1000 + i, "f"), actor: i % 3 ? "f/ann" : "f/bob", action: i % 2 ? "Push" : "Pull", outcome: i % 4 ? ("ok" as const) : ("denied" as const) }));
      await iam.appendAudit(kinds);
      const ats = (events: { at: number }[]) => events.map((e) => e.at);
      assert.deepEqual(ats(await iam.listAudit({ tenancy: "f", limit: 100, actor: "f/bob" })), [1009, 1006, 1003, 1000]);
      assert.deepEqual(ats(await iam.listAudit({ tenancy: "f", limit: 100, action: "Push", outcome: "ok" })), [1011, 1009, 1007, 1005, 1003, 1001]);
      assert.deepEqual(ats(await iam.listAudit({ tenancy: "f", limit: 100, outcome: "denied", since: 1004 })), [1008, 1004]);
      assert.deepEqual(ats(await iam.listAudit({ tenancy: "f", limit: 2, action: "Pull", after: { at: 1008, seen: 1 } })), [1006, 1004]);
      assert.deepEqual(await iam.listAudit({ tenancy: "x", limit: 100, actor: "f/ann" }), [], "filters stay within the tenancy");
      await meta.close();
    });

    it("racing writers on one store: 2 tokens per user and a tenancy's repository limit hold exactly", async () => {
      const { meta, iam } = await open();
      await iam.createTenancy({ namespace: "t", description: "", repositoryLimit: 4, createdAt: 1 });
      await iam.createUser({ id: "u1", tenancy: "t", name: "ann", description: "", createdAt: 1 });
      const tokens = await Promise.all(Array.from({ length: 12 }, (_, i) => iam.createAuthToken(token(`t${i}`, "u1"), 2)));
      assert.equal(tokens.filter(Boolean).length, 2);
      assert.equal((await iam.listAuthTokens("u1")).length, 2);
      const creations = await Promise.allSettled(
        Array.from({ length: 12 }, (_, i) => (i % 2 ? meta.createRepository(`t/r${i}`, 1) : meta.linkBlob(`t/r${i}`, "sha256:" + "0".repeat(64), 1, 1))),
      );
      const refused = creations.filter((c) => c.status === "rejected");
      for (const r of refused) assert.ok((r as PromiseRejectedResult).reason instanceof RepositoryLimitReached, String((r as PromiseRejectedResult).reason));
      assert.equal(creations.length - refused.length, 4);
      assert.equal(await iam.countRepositories("t"), 4);
      await meta.close();
    });
  });
}

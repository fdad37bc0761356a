import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LoginThrottle, unlockLogin } from "../../src/auth/rate-limit.js";
import { loadConfig } from "../../src/config/config.js";
import { openSqliteStores } from "../../src/metadata/sqlite.js";
import { parseScope } from "../../src/auth/token-endpoint.js";
import { splitLogin, splitRepository } from "../../src/iam/names.js";
import { generateAuthToken, hashSecret, sameSecret } from "../../src/iam/secrets.js";

describe("auth building blocks", () => {
  it("throttles a login per address and an address as a whole, until the window passes", async () => {
    let now = 1000;
    const { iam, meta } = await openSqliteStores(":memory:");
    const throttle = new LoginThrottle(iam, { perUserAddress: 3, perAddress: 5, window: 1000 }, () => now);
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await throttle.check("ns/u", "10.0.0.1"), { allowed: true, failures: i });
      await throttle.fail("ns/u", "10.0.0.1");
    }
    now = 1400;
    assert.deepEqual(await throttle.check("NS/U", "10.0.0.1"), { allowed: false, retryAfter: 600, reason: "user-address" }, "case-insensitively");
    assert.equal((await throttle.check("ns/u", "10.0.0.2")).allowed, true, "the same user from elsewhere");
    assert.equal((await throttle.check("ns/other", "10.0.0.1")).allowed, true, "another user from there");
    await throttle.fail("ns/a", "10.0.0.1");
    await throttle.fail("ns/b", "10.0.0.1");
    assert.deepEqual(await throttle.check("ns/c", "10.0.0.1"), { allowed: false, retryAfter: 600, reason: "address" }, "per address");
    now = 2001;
    assert.equal((await throttle.check("ns/u", "10.0.0.1")).allowed, true, "the window passed");

    await throttle.fail("ns/u", "10.0.0.3");
    await throttle.fail("ns/u", "10.0.0.4");
    await throttle.fail("ns/uu", "10.0.0.4");
    await throttle.succeed("ns/u", "10.0.0.3", 1);
    assert.deepEqual(await throttle.check("ns/u", "10.0.0.3"), { allowed: true, failures: 0 }, "a success clears its own pair");
    assert.deepEqual(await throttle.check("ns/u", "10.0.0.4"), { allowed: true, failures: 1 }, "...not the user's other addresses");
    await unlockLogin(iam, "NS/u");
    assert.deepEqual(await throttle.check("ns/u", "10.0.0.4"), { allowed: true, failures: 0 }, "unlock clears every address");
    assert.deepEqual(await throttle.check("ns/uu", "10.0.0.4"), { allowed: true, failures: 1 }, "...of that user only");
    assert.equal((await iam.loginFailures("address:10.0.0.4", now))?.count, 2, "...and leaves the address's count");
    await meta.close();
  });

  it("auth.ratelimit: peruseraddress, with the former peruser still read", () => {
    assert.deepEqual(loadConfig({ env: {} }).auth.ratelimit, { peruseraddress: 10, peraddress: 30, window: 900_000 });
    assert.equal(loadConfig({ env: { BERTH_AUTH_RATELIMIT_PERUSER: "4" } }).auth.ratelimit.peruseraddress, 4);
    const both = { BERTH_AUTH_RATELIMIT_PERUSER: "4", BERTH_AUTH_RATELIMIT_PERUSERADDRESS: "7", BERTH_AUTH_RATELIMIT_WINDOW: "1m" };
    assert.deepEqual(loadConfig({ env: both }).auth.ratelimit, { peruseraddress: 7, peraddress: 30, window: 60_000 });
    assert.throws(() => loadConfig({ env: { BERTH_AUTH_RATELIMIT_PERUSERADDRESS: "0" } }), /auth.ratelimit.peruseraddress/);
  });

  it("the IAM version moves with every change to who may do what, and not with token use", async () => {
    const { iam, meta } = await openSqliteStores(":memory:");
    let seen = await iam.accessVersion();
    const moved = async (what: string, change: () => Promise<unknown>, expected = true) => {
      await change();
      const now = await iam.accessVersion();
      assert.equal(now !== seen, expected, what);
      seen = now;
    };
    const user = { id: "u1", tenancy: "t", name: "u", description: "", createdAt: 1 };
    const group = { id: "g1", tenancy: "t", name: "G", description: "", createdAt: 1 };
    const policy = { id: "p1", tenancy: "t", name: "P", description: "", statements: ["Allow group G to read repos in tenancy"], createdAt: 1 };
    const token = { id: "k1", userId: "u1", description: "", hash: "h", createdAt: 1, lastUsedAt: null };
    await moved("tenancy created", () => iam.createTenancy({ namespace: "t", description: "", repositoryLimit: 5, createdAt: 1 }));
    await moved("user created", () => iam.createUser(user));
    await moved("group created", () => iam.createGroup(group));
    await moved("member added", () => iam.addMember("g1", "u1"));
    await moved("policy created", () => iam.createPolicy(policy));
    await moved("token created: nothing cached depends on it", () => iam.createAuthToken(token, 2), false);
    await moved("token used", () => iam.touchAuthToken("k1", 5), false);
    await moved("login failure", () => iam.addLoginFailure("address:x", 1, 1000), false);
    await moved("policy updated", () => iam.updatePolicy("p1", { statements: ["Allow group G to inspect repos in tenancy"] }));
    await moved("member removed", () => iam.removeMember("g1", "u1"));
    await moved("policy deleted", () => iam.deletePolicy("p1"));
    await moved("group deleted", () => iam.deleteGroup("g1"));
    await moved("token deleted", () => iam.deleteAuthToken("u1", "k1"));
    await moved("user deleted", () => iam.deleteUser("u1"));
    await moved("tenancy deleted", () => iam.deleteTenancy("t"));
    await meta.close();
  });

  it("parses Docker token scopes and refuses malformed ones", () => {
    assert.deepEqual(parseScope("repository:ourtenant/oxar:pull,push"), { type: "repository", name: "ourtenant/oxar", actions: ["pull", "push"] });
    assert.deepEqual(parseScope("repository(plugin):a/b:pull"), { type: "repository", name: "a/b", actions: ["pull"] });
    assert.deepEqual(parseScope("registry:catalog:*"), { type: "registry", name: "catalog", actions: ["*"] });
    assert.deepEqual(parseScope("repository:a/b:pull,fly"), { type: "repository", name: "a/b", actions: ["pull"] });
    for (const bad of ["", "repository", "repository:a", "repository:../x:pull", "repository:A/B:pull", "repository:a/b:fly", "user:x:pull"]) {
      assert.equal(parseScope(bad), undefined, bad);
    }
  });

  it("tokens are random, hashed and compared in constant time", () => {
    const a = generateAuthToken();
    assert.match(a, /^[A-Za-z0-9_-]{32}$/);
    assert.notEqual(a, generateAuthToken());
    assert.equal(hashSecret(a).length, 64);
    assert.ok(sameSecret(hashSecret(a), hashSecret(a)));
    assert.ok(!sameSecret(hashSecret(a), hashSecret(`${a}x`)));
    assert.ok(!sameSecret("abc", "abcd"));
  });

  it("splits logins and repository names", () => {
    assert.deepEqual(splitLogin("ourtenant/dockerdev"), { namespace: "ourtenant", user: "dockerdev" });
    assert.deepEqual(splitLogin("ourtenant/oracleidentitycloudservice/me@x.com"), { namespace: "ourtenant", user: "oracleidentitycloudservice/me@x.com" });
    for (const bad of ["plain", "/x", "x/"]) assert.equal(splitLogin(bad), undefined, bad);
    assert.deepEqual(splitRepository("ourtenant/project/web"), { namespace: "ourtenant", path: "project/web" });
    assert.deepEqual(splitRepository("lonely"), { namespace: "lonely", path: "" });
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LoginThrottle } from "../../src/auth/rate-limit.js";
import { openSqliteStores } from "../../src/metadata/sqlite.js";
import { parseScope } from "../../src/auth/token-endpoint.js";
import { splitLogin, splitRepository } from "../../src/iam/names.js";
import { generateAuthToken, hashSecret, sameSecret } from "../../src/iam/secrets.js";

describe("auth building blocks", () => {
  it("throttles a login after its limit and an address after its own, until the window passes", async () => {
    let now = 1000;
    const { iam, meta } = await openSqliteStores(":memory:");
    const throttle = new LoginThrottle(iam, { perUser: 3, perAddress: 5, window: 1000 }, () => now);
    for (let i = 0; i < 3; i++) {
      assert.equal(await throttle.blocked("ns/u", "10.0.0.1"), false);
      await throttle.fail("ns/u", "10.0.0.1");
    }
    assert.equal(await throttle.blocked("NS/U", "10.0.0.2"), true, "per login, case-insensitively");
    assert.equal(await throttle.blocked("ns/other", "10.0.0.2"), false);
    await throttle.fail("ns/a", "10.0.0.1");
    await throttle.fail("ns/b", "10.0.0.1");
    assert.equal(await throttle.blocked("ns/c", "10.0.0.1"), true, "per address");
    now = 2001;
    assert.equal(await throttle.blocked("ns/u", "10.0.0.1"), false, "the window passed");
    await throttle.fail("ns/u", "10.0.0.3");
    await throttle.succeed("ns/u");
    assert.equal(await iam.loginFailures("user:ns/u", now), 0);
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

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FailureLimiter } from "../../src/auth/rate-limit.js";
import { parseScope } from "../../src/auth/token-endpoint.js";
import { splitLogin, splitRepository } from "../../src/iam/names.js";
import { generateAuthToken, hashSecret, sameSecret } from "../../src/iam/secrets.js";

describe("auth building blocks", () => {
  it("throttles a key after the limit, until the window passes", () => {
    let now = 0;
    const limiter = new FailureLimiter(3, 1000, () => now);
    for (let i = 0; i < 3; i++) {
      assert.equal(limiter.blocked("u"), false);
      limiter.fail("u");
    }
    assert.equal(limiter.blocked("u"), true);
    assert.equal(limiter.blocked("other"), false);
    now = 1001;
    assert.equal(limiter.blocked("u"), false);
    limiter.fail("u");
    limiter.succeed("u");
    assert.equal(limiter.blocked("u"), false);
  });

  it("keeps a bounded number of keys", () => {
    const limiter = new FailureLimiter(1, 1000, () => 0, 10);
    for (let i = 0; i < 100; i++) limiter.fail(`k${i}`);
    assert.equal(limiter.blocked("k99"), true);
    assert.equal(limiter.blocked("k0"), false);
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

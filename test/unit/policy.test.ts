import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  GRANTS,
  MAX_STATEMENT_LENGTH,
  PERMISSIONS,
  PolicyParseError,
  REPOSITORY_PERMISSIONS,
  findAllowingStatement,
  isAllowed,
  matchWildcard,
  parseStatement,
  statementAllows,
  type AccessContext,
  type Permission,
  type Statement,
} from "../../src/iam/policy/index.js";

/** a request by `user` in `groups`; defaults describe a pull of `app` */
function ctx(groups: string[], permission: Permission, over: Partial<AccessContext> = {}): AccessContext {
  return { permission, operation: "GetImage", repository: "app", userName: "alice", groups, ...over };
}

/** which of the six repository permissions `statements` grant a request like `base` */
function granted(statements: Statement[], base: Omit<AccessContext, "permission">): Permission[] {
  return REPOSITORY_PERMISSIONS.filter((permission) => isAllowed(statements, { ...base, permission }));
}

const [INSPECT, READ, UPDATE, CREATE, DELETE, MANAGE] = REPOSITORY_PERMISSIONS;

describe("verbs", () => {
  it("are cumulative permission sets", () => {
    const repos = GRANTS.repos;
    assert.deepEqual([...repos.inspect], ["REPOSITORY_INSPECT"]);
    assert.deepEqual([...repos.read], ["REPOSITORY_INSPECT", "REPOSITORY_READ"]);
    assert.deepEqual([...repos.use], ["REPOSITORY_INSPECT", "REPOSITORY_READ", "REPOSITORY_UPDATE"]);
    assert.deepEqual([...repos.manage], [...REPOSITORY_PERMISSIONS]);
  });

  it("grant OCI IAM's permissions on users, groups, policies and audit-events; all-resources grants every type's", () => {
    assert.deepEqual([...GRANTS.users.inspect], ["USER_INSPECT"]);
    assert.deepEqual([...GRANTS.users.use], ["USER_INSPECT", "USER_READ"]);
    assert.deepEqual([...GRANTS.users.manage], ["USER_INSPECT", "USER_READ", "USER_CREATE", "USER_UPDATE", "USER_DELETE", "USER_UNBLOCK"]);
    assert.deepEqual([...GRANTS.groups.read], ["GROUP_INSPECT", "GROUP_READ"]);
    assert.deepEqual([...GRANTS.policies.inspect], ["POLICY_READ"]);
    assert.deepEqual([...GRANTS["audit-events"].inspect], []);
    assert.deepEqual([...GRANTS["audit-events"].read], ["AUDIT_EVENT_READ"]);
    assert.deepEqual(new Set(GRANTS["all-resources"].manage), new Set(PERMISSIONS));
    assert.equal(GRANTS["all-resources"].read.has("USER_CREATE"), false);
    const helpdesk = parseStatement("Allow group HelpDesk to manage users in tenancy");
    const ask = (permission: Permission) => statementAllows(helpdesk, ctx(["helpdesk"], permission, { operation: "CreateUser", repository: undefined }));
    assert.equal(ask("USER_CREATE"), true);
    assert.equal(ask("GROUP_CREATE"), false, "users are not groups");
    assert.equal(ask("REPOSITORY_READ"), false, "nor repositories");
  });
});

describe("seed statements (OCIR walkthroughs), verbatim", () => {
  const DEV_USE = "Allow group CONREG_DEV to use repos in tenancy";
  const DEV_CREATE =
    "Allow group CONREG_DEV to manage repos in tenancy where ANY {request.permission = 'REPOSITORY_CREATE', request.permission = 'REPOSITORY_UPDATE'}";
  // As the walkthrough prints it, with typographic quotes: pasted statements look like this.
  const DEV_CREATE_CURLY =
    "Allow group CONREG_DEV to manage repos in tenancy where ANY {request.permission = \u2018REPOSITORY_CREATE\u2019, request.permission = \u2018REPOSITORY_UPDATE\u2019}";
  const USER_READ = "Allow group CONREG_USER to read repos in tenancy";
  const PROJECT = "allow group G to manage repos in tenancy where target.repo.name = /projectName-*/";
  const CATALOG = "allow group G to inspect repos in tenancy where request.operation='ListDockerRepositories'";
  const VIEWERS = "allow group acme-viewers to inspect repos in tenancy";
  const MANAGERS = "allow group acme-managers to manage repos in tenancy";

  it("parse to the expected statements", () => {
    assert.deepEqual(parseStatement(DEV_USE), {
      groups: ["CONREG_DEV"],
      verb: "use",
      resource: "repos",
      location: { kind: "tenancy" },
      text: DEV_USE,
    });
    const create = parseStatement(DEV_CREATE);
    assert.deepEqual(create.condition, {
      kind: "any",
      conditions: [
        { kind: "compare", variable: "request.permission", operator: "=", value: { kind: "string", value: "REPOSITORY_CREATE" } },
        { kind: "compare", variable: "request.permission", operator: "=", value: { kind: "string", value: "REPOSITORY_UPDATE" } },
      ],
    });
    assert.deepEqual(parseStatement(DEV_CREATE_CURLY).condition, create.condition);
    assert.deepEqual(parseStatement(PROJECT).condition, {
      kind: "compare",
      variable: "target.repo.name",
      operator: "=",
      value: { kind: "pattern", pattern: "projectName-*" },
    });
    assert.deepEqual(parseStatement(CATALOG).condition, {
      kind: "compare",
      variable: "request.operation",
      operator: "=",
      value: { kind: "string", value: "ListDockerRepositories" },
    });
    assert.deepEqual(parseStatement(VIEWERS).groups, ["acme-viewers"]);
    assert.equal(parseStatement(MANAGERS).verb, "manage");
  });

  it("CONREG_DEV may pull, push and create, but not delete; CONREG_USER may only pull", () => {
    const policy = [DEV_USE, DEV_CREATE, USER_READ].map(parseStatement);
    const base = { operation: "PushImage", repository: "app", userName: "alice" };
    assert.deepEqual(granted(policy, { ...base, groups: ["CONREG_DEV"] }), [INSPECT, READ, UPDATE, CREATE]);
    assert.deepEqual(granted(policy, { ...base, groups: ["CONREG_USER"] }), [INSPECT, READ]);
    assert.deepEqual(granted(policy, { ...base, groups: ["OTHERS"] }), []);
    assert.deepEqual(granted(policy, { ...base, groups: [] }), []);
    // The curly-quoted copy behaves the same.
    const curly = [DEV_USE, DEV_CREATE_CURLY].map(parseStatement);
    assert.deepEqual(granted(curly, { ...base, groups: ["CONREG_DEV"] }), [INSPECT, READ, UPDATE, CREATE]);
  });

  it("the ANY statement on its own grants exactly create and update", () => {
    const policy = [parseStatement(DEV_CREATE)];
    assert.deepEqual(granted(policy, { operation: "x", repository: "app", userName: "u", groups: ["conreg_dev"] }), [UPDATE, CREATE]);
  });

  it("/projectName-*/ grants everything on matching repositories only (names match case-insensitively)", () => {
    const policy = [parseStatement(PROJECT)];
    const on = (repository: string | undefined) =>
      granted(policy, { operation: "x", repository, userName: "u", groups: ["G"] });
    for (const repo of ["projectName-a", "projectname-a", "projectName-", "projectname-team/app"]) {
      assert.deepEqual(on(repo), [...REPOSITORY_PERMISSIONS], repo);
    }
    for (const repo of ["other", "xprojectName-a", "projectName"]) assert.deepEqual(on(repo), [], repo);
    // The catalog has no target repository: the condition does not apply, so it is false.
    assert.deepEqual(on(undefined), []);
  });

  it("request.operation='ListDockerRepositories' allows listing and nothing else", () => {
    const policy = [parseStatement(CATALOG)];
    const list = ctx(["g"], INSPECT, { operation: "ListDockerRepositories", repository: undefined });
    assert.ok(isAllowed(policy, list));
    assert.ok(!isAllowed(policy, { ...list, operation: "GetRepository" }));
    assert.ok(!isAllowed(policy, { ...list, operation: "listdockerrepositories" }));
    assert.ok(!isAllowed(policy, { ...list, permission: READ }));
    assert.ok(!isAllowed(policy, { ...list, groups: ["h"] }));
  });

  it("together, the two walkthrough-2 statements let the group list and work on its projects", () => {
    const policy = [PROJECT, CATALOG].map(parseStatement);
    assert.ok(isAllowed(policy, ctx(["G"], INSPECT, { operation: "ListDockerRepositories", repository: undefined })));
    assert.ok(isAllowed(policy, ctx(["G"], DELETE, { repository: "projectName-x" })));
    assert.ok(!isAllowed(policy, ctx(["G"], READ, { repository: "other" })));
    assert.equal(findAllowingStatement(policy, ctx(["G"], READ, { repository: "projectName-x" }))?.text, PROJECT);
    assert.equal(findAllowingStatement(policy, ctx(["G"], READ, { repository: "other" })), undefined);
  });

  it("acme-viewers may inspect, acme-managers may do anything", () => {
    const policy = [VIEWERS, MANAGERS].map(parseStatement);
    const base = { operation: "x", repository: "app", userName: "u" };
    assert.deepEqual(granted(policy, { ...base, groups: ["acme-viewers"] }), [INSPECT]);
    assert.deepEqual(granted(policy, { ...base, groups: ["ACME-Managers"] }), [...REPOSITORY_PERMISSIONS]);
  });
});

describe("grammar", () => {
  it("keywords, verbs, resources and variables are case-insensitive", () => {
    const s = parseStatement("ALLOW GROUP Dev TO MANAGE REPOS IN TENANCY WHERE any {TARGET.REPO.NAME = 'a', Request.Permission='repository_read'}");
    assert.equal(s.verb, "manage");
    assert.equal(s.resource, "repos");
    assert.deepEqual(s.condition, {
      kind: "any",
      conditions: [
        { kind: "compare", variable: "target.repo.name", operator: "=", value: { kind: "string", value: "a" } },
        { kind: "compare", variable: "request.permission", operator: "=", value: { kind: "string", value: "repository_read" } },
      ],
    });
    assert.ok(isAllowed([s], ctx(["dev"], READ, { repository: "b" })));
    assert.ok(isAllowed([s], ctx(["DEV"], DELETE, { repository: "a" })));
    assert.ok(!isAllowed([s], ctx(["dev"], DELETE, { repository: "b" })));
    assert.equal(parseStatement("aLLoW gRoUp x tO uSe rEpOs iN tEnAnCy").verb, "use");
  });

  it("several groups, quoted names, free whitespace", () => {
    const s = parseStatement("  Allow group A,B ,  'My Group'\tto read\nrepos in tenancy where request.user.name='bob'  ");
    assert.deepEqual(s.groups, ["A", "B", "My Group"]);
    assert.ok(isAllowed([s], ctx(["my group"], READ, { userName: "bob" })));
    assert.ok(isAllowed([s], ctx(["x", "b"], READ, { userName: "bob" })));
    assert.ok(!isAllowed([s], ctx(["My"], READ, { userName: "bob" })));
    assert.ok(!isAllowed([s], ctx(["A"], READ, { userName: "Bob" })));
  });

  it("compartments are stored and apply only to requests in that compartment", () => {
    const s = parseStatement("allow group G to read repos in compartment Dev-1");
    assert.deepEqual(s.location, { kind: "compartment", name: "Dev-1" });
    assert.deepEqual(parseStatement("allow group G to read repos in compartment 'My Dev'").location, { kind: "compartment", name: "My Dev" });
    assert.ok(!isAllowed([s], ctx(["G"], READ)));
    assert.ok(isAllowed([s], ctx(["G"], READ, { compartment: "dev-1" })));
    assert.ok(!isAllowed([s], ctx(["G"], READ, { compartment: "prod" })));
  });

  it("all-resources covers repositories", () => {
    const s = parseStatement("Allow group Administrators to manage all-resources in tenancy");
    assert.equal(s.resource, "all-resources");
    assert.ok(isAllowed([s], ctx(["administrators"], DELETE)));
  });

  it("patterns keep slashes and regex metacharacters literal", () => {
    const s = parseStatement("allow group G to read repos in tenancy where target.repo.name = /team/a.b+(c)-*/");
    assert.deepEqual(s.condition, {
      kind: "compare",
      variable: "target.repo.name",
      operator: "=",
      value: { kind: "pattern", pattern: "team/a.b+(c)-*" },
    });
    assert.ok(isAllowed([s], ctx(["G"], READ, { repository: "team/a.b+(c)-x/y" })));
    assert.ok(!isAllowed([s], ctx(["G"], READ, { repository: "team/aXb+(c)-x" })));
    assert.ok(!isAllowed([s], ctx(["G"], READ, { repository: "team/a.bb(c)-x" })));
  });
});

describe("conditions", () => {
  const allows = (where: string, c: AccessContext) =>
    statementAllows(parseStatement(`allow group G to manage repos in tenancy where ${where}`), c);

  it("request.user.name, exact and by pattern", () => {
    assert.ok(allows("request.user.name = 'alice'", ctx(["G"], READ)));
    assert.ok(!allows("request.user.name = 'alice'", ctx(["G"], READ, { userName: "bob" })));
    assert.ok(allows("request.user.name = /ci-*@example.com/", ctx(["G"], READ, { userName: "ci-7@example.com" })));
    assert.ok(!allows("request.user.name = /ci-*@example.com/", ctx(["G"], READ, { userName: "ci-7@example.org" })));
  });

  it("!= excludes, and is false where its variable does not apply", () => {
    const where = "target.repo.name != 'prod/app'";
    assert.ok(allows(where, ctx(["G"], DELETE, { repository: "dev/app" })));
    assert.ok(!allows(where, ctx(["G"], DELETE, { repository: "prod/app" })));
    assert.ok(!allows(where, ctx(["G"], INSPECT, { repository: undefined })));
    assert.ok(!allows("target.repo.name != /prod/*/", ctx(["G"], READ, { repository: "prod/x" })));
    assert.ok(allows("target.repo.name != /prod/*/", ctx(["G"], READ, { repository: "production/x" })));
    // permissions compare case-insensitively, so this is manage minus delete
    const noDelete = [parseStatement("allow group G to manage repos in tenancy where request.permission != 'repository_delete'")];
    assert.deepEqual(granted(noDelete, { operation: "x", repository: "a", userName: "u", groups: ["G"] }), [INSPECT, READ, UPDATE, CREATE, MANAGE]);
  });

  it("any/all nest", () => {
    const where =
      "all {target.repo.name = /team-a/*/, any {request.permission = 'REPOSITORY_READ', request.user.name = 'admin', all {request.operation = 'Tag', request.permission = /REPOSITORY_*/}}}";
    assert.ok(allows(where, ctx(["G"], READ, { repository: "team-a/x" })));
    assert.ok(!allows(where, ctx(["G"], READ, { repository: "team-b/x" })));
    assert.ok(!allows(where, ctx(["G"], DELETE, { repository: "team-a/x" })));
    assert.ok(allows(where, ctx(["G"], DELETE, { repository: "team-a/x", userName: "admin" })));
    assert.ok(allows(where, ctx(["G"], UPDATE, { repository: "team-a/x", operation: "Tag" })));
    assert.ok(!allows(where, ctx(["G"], UPDATE, { repository: "team-a/x", operation: "tag" })));
    assert.ok(allows("ALL {request.operation = 'x'}", ctx(["G"], READ, { operation: "x" })));
  });

  it("a condition never widens what the verb grants", () => {
    assert.ok(!statementAllows(
      parseStatement("allow group G to read repos in tenancy where request.permission = 'REPOSITORY_DELETE'"),
      ctx(["G"], DELETE),
    ));
  });
});

describe("wildcard matching", () => {
  it("matches whole values with * as any run", () => {
    const cases: [string, string, boolean][] = [
      ["abc", "abc", true],
      ["abc", "abcd", false],
      ["*", "", true],
      ["*", "anything/at/all", true],
      ["a*", "a", true],
      ["*c", "abc", true],
      ["a*b*c", "abc", true],
      ["a*b*c", "aXbYc", true],
      ["a*b*c", "acb", false],
      ["ab*ab", "ab", false],
      ["ab*ab", "abab", true],
      ["ab*ab", "abXab", true],
      ["a**b", "ab", true],
      ["*a*", "bab", true],
      ["*a*", "bbb", false],
      ["a.c", "abc", false],
      ["^a$", "^a$", true],
      ["[a]", "a", false],
      ["a?", "ab", false],
    ];
    for (const [pattern, value, expected] of cases) assert.equal(matchWildcard(pattern, value), expected, `${pattern} ~ ${value}`);
    assert.ok(!matchWildcard("Proj-*", "proj-x"));
    assert.ok(matchWildcard("Proj-*", "proj-x", true));
  });

  it("does not backtrack", () => {
    const started = performance.now();
    assert.ok(!matchWildcard(`${"*a".repeat(1000)}*b`, "a".repeat(4000)));
    assert.ok(performance.now() - started < 1000);
  });
});

describe("errors say where and why", () => {
  const W = "allow group G to read repos in tenancy where ";
  const cases: [string, number, string][] = [
    ["Allow group X to fly repos in tenancy", 18, 'unknown verb "fly" (expected inspect, read, use or manage)'],
    ["Allow group X too use repos in tenancy", 15, 'expected "to" but found "too"'],
    ["", 1, "empty statement"],
    [" \n\t", 1, "empty statement"],
    ["Deny group X to use repos in tenancy", 1, 'expected "allow" but found "Deny"'],
    ["Allow any-user to use repos in tenancy", 7, 'unsupported subject "any-user" (only "group" is supported)'],
    ["Allow groups X to use repos in tenancy", 7, 'expected "group" but found "groups"'],
    ["Allow group to use repos in tenancy", 13, 'expected a group name but found "to"'],
    ["Allow group X, to use repos in tenancy", 16, 'expected a group name but found "to"'],
    ["Allow group '' to use repos in tenancy", 13, "a group name cannot be empty"],
    ["Allow group X to", 17, "expected a verb (inspect, read, use or manage) but found end of statement"],
    ["Allow group X to use", 21, "expected a resource type (repos, users, groups, policies, audit-events or all-resources) but found end of statement"],
    ["Allow group X to manage images in tenancy", 25, 'unknown resource type "images" (expected repos, users, groups, policies, audit-events or all-resources)'],
    ["Allow group X to use repos", 27, 'expected "in" but found end of statement'],
    ["Allow group X to use repos in", 30, 'expected "tenancy" or "compartment" but found end of statement'],
    ["Allow group X to use repos in region", 31, 'expected "tenancy" or "compartment" but found "region"'],
    ["Allow group X to use repos in compartment", 42, "expected a compartment name but found end of statement"],
    ["Allow group X to use repos in tenancy please", 39, 'expected "where" or end of statement but found "please"'],
    [`${W}`, 46, "expected a condition but found end of statement"],
    [`${W}target.repo.name = 'x' extra`, 69, 'expected end of statement but found "extra"'],
    [`${W}request.operation = 'a', request.operation = 'b'`, 69, 'expected end of statement but found ","'],
    [`${W}request.user.name = 'alice`, 66, "unterminated string (missing closing ')"],
    [`${W}request.user.name = \u2018alice'`, 66, "unterminated string (missing closing \u2019)"],
    [`${W}target.repo.name = /abc`, 65, 'unterminated pattern (missing closing "/")'],
    [`${W}target.repo.name = /abc/x`, 65, 'unterminated pattern (missing closing "/")'],
    [`${W}any {target.repo.name = /a*, target.repo.name = /b*/}`, 70, 'unterminated pattern (missing closing "/")'],
    [`${W}target.repo.name = //`, 65, "empty pattern"],
    [`${W}any {request.permission = 'REPOSITORY_READ'`, 89, 'missing "}" to close "any {" at column 50'],
    [`${W}any {request.permission = 'REPOSITORY_READ' request.user.name = 'x'}`, 90, 'expected "," or "}" but found "request.user.name"'],
    [`${W}any {}`, 51, 'expected a condition but found "}"'],
    [`${W}all {request.user.name = 'x', }`, 76, 'expected a condition but found "}"'],
    [`${W}any request.user.name = 'x'`, 50, 'expected "{" after "any" but found "request.user.name"'],
    [
      `${W}target.repo = 'x'`,
      46,
      'unknown variable "target.repo" (expected target.repo.name, target.user.name, target.group.name, request.permission, request.operation or request.user.name)',
    ],
    [`${W}target.repo.name 'x'`, 63, "expected \"=\" or \"!=\" after target.repo.name but found 'x'"],
    [`${W}target.repo.name == 'x'`, 64, "expected a quoted string or a /pattern/ but found \"=\""],
    [`${W}target.repo.name = x`, 65, 'expected a quoted string or a /pattern/ but found "x"'],
    [`${W}target.repo.name ! 'x'`, 63, 'unexpected character "!" (did you mean "!="?)'],
    [`${W}target.repo.name = "x"`, 65, "unexpected character '\"' (strings use single quotes)"],
    [`${W}target.repo.name = 'x';`, 68, 'unexpected character ";"'],
    [
      `${W}request.permission = 'REPOSITORY_PUSH'`,
      67,
      `unknown permission 'REPOSITORY_PUSH' (expected one of ${PERMISSIONS.join(", ")})`,
    ],
    [`${W}${"any {".repeat(16)}request.user.name = 'x'${"}".repeat(16)}`, 126, "conditions are nested too deeply (at most 16 levels)"],
  ];

  for (const [text, column, reason] of cases) {
    it(`${JSON.stringify(text.length > 70 ? `…${text.slice(W.length)}` : text)} → column ${column}`, () => {
      assert.throws(
        () => parseStatement(text),
        (e: unknown) => {
          assert.ok(e instanceof PolicyParseError);
          assert.equal(e.reason, reason);
          assert.equal(e.column, column);
          assert.equal(e.position, column - 1);
          assert.equal(e.message, `column ${column}: ${reason}`);
          return true;
        },
      );
    });
  }

  it("rejects statements longer than 4096 characters, accepts 4096", () => {
    const base = "allow group G to read repos in tenancy where request.user.name = ''";
    const fits = base.replace("''", `'${"u".repeat(MAX_STATEMENT_LENGTH - base.length)}'`);
    assert.equal(fits.length, MAX_STATEMENT_LENGTH);
    assert.equal(parseStatement(fits).verb, "read");
    assert.throws(() => parseStatement(`${fits} `), (e: unknown) => {
      assert.ok(e instanceof PolicyParseError);
      assert.equal(e.column, 4097);
      assert.equal(e.reason, "statement is too long (4097 characters; at most 4096)");
      return true;
    });
  });

  it("15 nested levels are fine", () => {
    const s = parseStatement(`${W}${"all {".repeat(15)}request.user.name = 'alice'${"}".repeat(15)}`);
    assert.ok(isAllowed([s], ctx(["G"], READ)));
  });
});

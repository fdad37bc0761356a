// Every /api/v1 route × every kind of principal, against a real `berth serve`: anonymous, the
// operator, a tenancy's administrator, users of that tenancy granted each policy verb on its
// repositories (inspect, read, use, manage), and the administrator of another tenancy. Each answer is allowed (neither 401 nor 403) or
// refused as the table says, and each denial leaves exactly one audit record, in the tenancy of
// the principal, never in the target's when the principal is an outsider. The table must name
// every route of the OpenAPI document.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { until } from "../helpers/until.js";
import { api, basic, call, expectStatus, OPERATOR, pushImage, startAuthRegistry, type AuthRegistry, type Call } from "../iam/support.js";

type Who = "anonymous" | "operator" | "admin" | "inspector" | "reader" | "user" | "manager" | "outsider";
const LOGINS: Record<Exclude<Who, "anonymous">, string> = {
  operator: OPERATOR,
  admin: "acme/boss",
  inspector: "acme/auditor",
  reader: "acme/dev",
  user: "acme/builder",
  manager: "acme/ops",
  outsider: "beta/chief",
};
/** acme's users by policy verb: user name, group, the verb their group holds on acme's repositories */
const VERBS = [
  ["inspector", "auditor", "AUDIT", "inspect"],
  ["reader", "dev", "DEV", "read"],
  ["user", "builder", "BUILD", "use"],
  ["manager", "ops", "OPS", "manage"],
] as const;

interface Row {
  method: string;
  /** the document's path template this row exercises */
  template: string;
  /** the concrete path (acme's things; "ghost" where an allowed caller would change something real) */
  path: string;
  body?: unknown;
  /** the decision's operation and target, as the audit record names them */
  operation?: string;
  target?: string;
  /** who may: everyone else is refused (anonymous with 401, the others with 403) */
  allow: "public" | "authenticated" | Exclude<Who, "anonymous">[];
}

// The operator looks into other tenancies (repositories, tags, images, usage, audit), describes
// them and lifts login throttles; their identities and images stay with their Administrators.
const OPS: Who[] = ["operator"];
const ADMINS: Exclude<Who, "anonymous">[] = ["admin"];
const ADMINS_AND_OPS: Exclude<Who, "anonymous">[] = ["operator", "admin"];
const MEMBERS: Exclude<Who, "anonymous">[] = ["operator", "admin", "inspector", "reader", "user", "manager"];
const INSPECTORS = MEMBERS;
const READERS: Exclude<Who, "anonymous">[] = ["operator", "admin", "reader", "user", "manager"];
const MANAGERS: Exclude<Who, "anonymous">[] = ["admin", "manager"];
const SELF: Exclude<Who, "anonymous">[] = ["admin", "reader"];
const ZERO = `sha256:${"0".repeat(64)}`;
let unique = 0;
const fresh = (prefix: string) => `${prefix}${++unique}`;

const ROWS: Row[] = [
  { method: "GET", template: "/openapi.json", path: "/openapi.json", allow: "public" },
  { method: "GET", template: "/whoami", path: "/whoami", allow: "authenticated" },
  { method: "GET", template: "/tenancies", path: "/tenancies", allow: "authenticated" },
  { method: "POST", template: "/tenancies", path: "/tenancies", body: () => ({ namespace: fresh("made") }), operation: "CreateTenancy", target: "registry", allow: ["operator"] },
  { method: "GET", template: "/tenancies/{ns}", path: "/tenancies/acme", operation: "GetTenancy", target: "acme", allow: MEMBERS },
  { method: "PATCH", template: "/tenancies/{ns}", path: "/tenancies/acme", body: { description: "ACME" }, operation: "UpdateTenancy", target: "acme", allow: ADMINS_AND_OPS },
  { method: "PATCH", template: "/tenancies/{ns}", path: "/tenancies/acme", body: { repositoryLimit: 500 }, operation: "UpdateTenancyLimit", target: "acme", allow: ["operator"] },
  { method: "DELETE", template: "/tenancies/{ns}", path: "/tenancies/ghost", operation: "DeleteTenancy", target: "ghost", allow: ["operator"] },
  { method: "GET", template: "/tenancies/{ns}/usage", path: "/tenancies/acme/usage", operation: "ReadUsage", target: "acme", allow: ADMINS_AND_OPS },
  { method: "GET", template: "/tenancies/{ns}/users", path: "/tenancies/acme/users", operation: "ListUsers", target: "acme", allow: ADMINS },
  { method: "POST", template: "/tenancies/{ns}/users", path: "/tenancies/acme/users", body: () => ({ name: fresh("u") }), operation: "CreateUser", target: "acme", allow: ADMINS },
  { method: "GET", template: "/tenancies/{ns}/users/{user}", path: "/tenancies/acme/users/dev", operation: "GetUser", target: "acme/dev", allow: SELF },
  { method: "DELETE", template: "/tenancies/{ns}/users/{user}", path: "/tenancies/acme/users/ghost", operation: "DeleteUser", target: "acme/ghost", allow: ADMINS },
  { method: "POST", template: "/tenancies/{ns}/users/{user}/unlock", path: "/tenancies/acme/users/ghost/unlock", body: {}, operation: "UnlockUser", target: "acme/ghost", allow: ADMINS_AND_OPS },
  { method: "GET", template: "/tenancies/{ns}/users/{user}/auth-tokens", path: "/tenancies/acme/users/dev/auth-tokens", operation: "ListAuthTokens", target: "acme/dev", allow: SELF },
  { method: "POST", template: "/tenancies/{ns}/users/{user}/auth-tokens", path: "/tenancies/acme/users/ghost/auth-tokens", body: {}, operation: "CreateAuthToken", target: "acme/ghost", allow: ADMINS },
  { method: "DELETE", template: "/tenancies/{ns}/users/{user}/auth-tokens/{id}", path: "/tenancies/acme/users/dev/auth-tokens/none", operation: "DeleteAuthToken", target: "acme/dev", allow: SELF },
  { method: "GET", template: "/tenancies/{ns}/groups", path: "/tenancies/acme/groups", operation: "ListGroups", target: "acme", allow: ADMINS },
  { method: "POST", template: "/tenancies/{ns}/groups", path: "/tenancies/acme/groups", body: () => ({ name: fresh("G") }), operation: "CreateGroup", target: "acme", allow: ADMINS },
  { method: "DELETE", template: "/tenancies/{ns}/groups/{group}", path: "/tenancies/acme/groups/ghost", operation: "DeleteGroup", target: "acme/ghost", allow: ADMINS },
  { method: "GET", template: "/tenancies/{ns}/groups/{group}/members", path: "/tenancies/acme/groups/DEV/members", operation: "ListGroupMembers", target: "acme/DEV", allow: ADMINS },
  { method: "POST", template: "/tenancies/{ns}/groups/{group}/members", path: "/tenancies/acme/groups/ghost/members", body: { user: "dev" }, operation: "AddUserToGroup", target: "acme/ghost", allow: ADMINS },
  { method: "DELETE", template: "/tenancies/{ns}/groups/{group}/members/{user}", path: "/tenancies/acme/groups/ghost/members/dev", operation: "RemoveUserFromGroup", target: "acme/ghost", allow: ADMINS },
  { method: "GET", template: "/tenancies/{ns}/policies", path: "/tenancies/acme/policies", operation: "ListPolicies", target: "acme", allow: ADMINS },
  { method: "POST", template: "/tenancies/{ns}/policies", path: "/tenancies/acme/policies", body: () => ({ name: fresh("p"), statements: ["Allow group DEV to read repos in tenancy"] }), operation: "CreatePolicy", target: "acme", allow: ADMINS },
  { method: "GET", template: "/tenancies/{ns}/policies/{policy}", path: "/tenancies/acme/policies/Readers", operation: "GetPolicy", target: "acme", allow: ADMINS },
  { method: "PATCH", template: "/tenancies/{ns}/policies/{policy}", path: "/tenancies/acme/policies/ghost", body: { description: "x" }, operation: "UpdatePolicy", target: "acme", allow: ADMINS },
  { method: "DELETE", template: "/tenancies/{ns}/policies/{policy}", path: "/tenancies/acme/policies/ghost", operation: "DeletePolicy", target: "acme", allow: ADMINS },
  { method: "GET", template: "/tenancies/{ns}/repositories", path: "/tenancies/acme/repositories", operation: "ListDockerRepositories", target: "acme", allow: INSPECTORS },
  { method: "GET", template: "/tenancies/{ns}/audit", path: "/tenancies/acme/audit", operation: "ReadAuditEvents", target: "acme", allow: ADMINS_AND_OPS },
  { method: "GET", template: "/repositories", path: "/repositories", allow: "authenticated" },
  { method: "POST", template: "/repositories", path: "/repositories", body: () => ({ name: `acme/${fresh("new")}` }), operation: "CreateContainerRepository", target: "acme/new", allow: MANAGERS },
  { method: "GET", template: "/repositories/{name}", path: "/repositories/acme%2Fapp", operation: "GetContainerRepository", target: "acme/app", allow: INSPECTORS },
  { method: "PATCH", template: "/repositories/{name}", path: "/repositories/acme%2Fapp", body: { isPublic: false }, operation: "UpdateContainerRepository", target: "acme/app", allow: MANAGERS },
  { method: "DELETE", template: "/repositories/{name}", path: "/repositories/acme%2Fghost", operation: "DeleteContainerRepository", target: "acme/ghost", allow: MANAGERS },
  { method: "GET", template: "/repositories/{name}/tags", path: "/repositories/acme%2Fapp/tags", operation: "ListTags", target: "acme/app", allow: READERS },
  { method: "DELETE", template: "/repositories/{name}/tags/{tag}", path: "/repositories/acme%2Fapp/tags/none", operation: "DeleteTag", target: "acme/app", allow: MANAGERS },
  { method: "GET", template: "/repositories/{name}/images", path: "/repositories/acme%2Fapp/images", operation: "ListImages", target: "acme/app", allow: READERS },
  { method: "DELETE", template: "/repositories/{name}/images/{digest}", path: `/repositories/acme%2Fapp/images/${ZERO}`, operation: "DeleteImage", target: "acme/app", allow: MANAGERS },
  { method: "GET", template: "/tenancies/{ns}/retention/global", path: "/tenancies/acme/retention/global", operation: "GetRetentionPolicy", target: "acme", allow: INSPECTORS },
  { method: "PUT", template: "/tenancies/{ns}/retention/global", path: "/tenancies/acme/retention/global", body: {}, operation: "UpdateRetentionPolicy", target: "acme", allow: MANAGERS },
  { method: "GET", template: "/tenancies/{ns}/retention/policies", path: "/tenancies/acme/retention/policies", operation: "GetRetentionPolicy", target: "acme", allow: INSPECTORS },
  { method: "POST", template: "/tenancies/{ns}/retention/policies", path: "/tenancies/acme/retention/policies", body: () => ({ name: fresh("keep") }), operation: "CreateRetentionPolicy", target: "acme", allow: MANAGERS },
  { method: "GET", template: "/tenancies/{ns}/retention/policies/{policy}", path: "/tenancies/acme/retention/policies/ghost", operation: "GetRetentionPolicy", target: "acme", allow: INSPECTORS },
  { method: "PATCH", template: "/tenancies/{ns}/retention/policies/{policy}", path: "/tenancies/acme/retention/policies/ghost", body: {}, operation: "UpdateRetentionPolicy", target: "acme", allow: MANAGERS },
  { method: "DELETE", template: "/tenancies/{ns}/retention/policies/{policy}", path: "/tenancies/acme/retention/policies/ghost", operation: "DeleteRetentionPolicy", target: "acme", allow: MANAGERS },
  { method: "PUT", template: "/tenancies/{ns}/retention/policies/{policy}/repositories/{repo}", path: "/tenancies/acme/retention/policies/ghost/repositories/acme%2Fapp", body: {}, operation: "UpdateRetentionPolicy", target: "acme", allow: MANAGERS },
  { method: "DELETE", template: "/tenancies/{ns}/retention/policies/{policy}/repositories/{repo}", path: "/tenancies/acme/retention/policies/ghost/repositories/acme%2Fapp", operation: "UpdateRetentionPolicy", target: "acme", allow: MANAGERS },
  { method: "GET", template: "/tenancies/{ns}/retention/preview", path: "/tenancies/acme/retention/preview", operation: "GetRetentionPolicy", target: "acme", allow: INSPECTORS },
  { method: "GET", template: "/tenancies/{ns}/retention/policies/{policy}/preview", path: "/tenancies/acme/retention/policies/global/preview", operation: "GetRetentionPolicy", target: "acme", allow: INSPECTORS },
  { method: "GET", template: "/audit", path: "/audit", operation: "ReadAuditEvents", target: "registry", allow: OPS as Exclude<Who, "anonymous">[] },
  { method: "GET", template: "/usage", path: "/usage", operation: "ReadUsage", target: "registry", allow: OPS as Exclude<Who, "anonymous">[] },
  { method: "POST", template: "/signing-keys/rotate", path: "/signing-keys/rotate", body: {}, operation: "RotateSigningKey", target: "registry", allow: OPS as Exclude<Who, "anonymous">[] },
  { method: "POST", template: "/gc", path: "/gc", body: { dryRun: true }, operation: "RunGarbageCollection", target: "registry", allow: OPS as Exclude<Who, "anonymous">[] },
  { method: "GET", template: "/gc", path: "/gc", operation: "ReadGarbageCollection", target: "registry", allow: OPS as Exclude<Who, "anonymous">[] },
  { method: "GET", template: "/gc/{id}", path: "/gc/ghost", operation: "ReadGarbageCollection", target: "registry", allow: OPS as Exclude<Who, "anonymous">[] },
  // Usage, storage quotas and immutable tags (issue 20)
  { method: "GET", template: "/repositories/{name}/usage", path: "/repositories/acme%2Fapp/usage?days=7", operation: "GetContainerRepository", target: "acme/app", allow: INSPECTORS },
  { method: "PATCH", template: "/tenancies/{ns}", path: "/tenancies/acme", body: { storageQuota: null }, operation: "UpdateTenancyLimit", target: "acme", allow: ["operator"] },
  { method: "PATCH", template: "/repositories/{name}", path: "/repositories/acme%2Fapp", body: { immutableTags: false }, operation: "UpdateContainerRepository", target: "acme/app", allow: MANAGERS },
  // The web console (issue 21); asking what one may do decides silently (no denial recorded)
  { method: "POST", template: "/tenancies/{ns}/policies/check", path: "/tenancies/acme/policies/check", body: { statements: ["Allow group DEV to read repos in tenancy"] }, operation: "ListPolicies", target: "acme", allow: ADMINS },
  { method: "GET", template: "/repositories/{name}/images/{digest}", path: `/repositories/acme%2Fapp/images/${ZERO}`, operation: "ListImages", target: "acme/app", allow: READERS },
  { method: "GET", template: "/permissions", path: "/permissions?operations=DeleteImage,ListUsers&repository=acme%2Fapp", allow: "authenticated" },
];

/** Routes of other modules, tested with them (test/sessions). */
const ELSEWHERE = /^\/session$|\/console-password$/;

describe("every admin API route × every kind of principal", () => {
  let registry: AuthRegistry;
  const secrets: Record<string, string> = {};
  const denials: { who: Who; row: Row }[] = [];

  const send = (who: Who, row: Row): Promise<Call> => {
    const headers: Record<string, string> = who === "anonymous" ? {} : { Authorization: basic(LOGINS[who], secrets[who]!) };
    const body = typeof row.body === "function" ? (row.body as () => unknown)() : row.body;
    return call(`${registry.url}/api/v1${row.path}`, { method: row.method, headers, json: body });
  };

  before(async () => {
    registry = await startAuthRegistry();
    secrets.operator = registry.operatorToken;
    const operator = api(registry, OPERATOR, registry.operatorToken);
    const acme = await operator.post("/tenancies", { namespace: "acme", adminUser: "boss" });
    secrets.admin = acme.body.data.token;
    const beta = await operator.post("/tenancies", { namespace: "beta", adminUser: "chief" });
    secrets.outsider = beta.body.data.token;
    const boss = api(registry, "acme/boss", secrets.admin!);
    for (const [who, user, group, verb] of VERBS) {
      expectStatus(await boss.post("/tenancies/acme/users", { name: user }), 201, user);
      expectStatus(await boss.post("/tenancies/acme/groups", { name: group }), 201, group);
      expectStatus(await boss.post(`/tenancies/acme/groups/${group}/members`, { user }), 204, `${user} in ${group}`);
      secrets[who] = (await boss.post(`/tenancies/acme/users/${user}/auth-tokens`, {})).body.data.token;
      const statement = `Allow group ${group} to ${verb} repos in tenancy`;
      expectStatus(await boss.post("/tenancies/acme/policies", { name: verb === "read" ? "Readers" : `${verb}-policy`, statements: [statement] }), 201, verb);
    }
    assert.equal(await pushImage(registry, "acme/app", "v1", basic("acme/boss", secrets.admin!)), 201);
  });

  after(async () => {
    await registry?.close();
  });

  it("names every route of the OpenAPI document", async () => {
    const document = (await call(`${registry.url}/api/v1/openapi.json`)).body;
    const documented = Object.entries(document.paths as Record<string, Record<string, unknown>>)
      .filter(([path]) => !ELSEWHERE.test(path))
      .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));
    const tabled = new Set(ROWS.map((r) => `${r.method} ${r.template}`));
    assert.deepEqual(documented.filter((r) => !tabled.has(r)), [], "routes without a row");
    assert.deepEqual([...tabled].filter((r) => !documented.includes(r)), [], "rows without a route");
  });

  for (const row of ROWS) {
    it(`${row.method} ${row.path}`, async () => {
      for (const who of ["anonymous", ...Object.keys(LOGINS)] as Who[]) {
        const res = await send(who, row);
        const allowed = row.allow === "public" || (who !== "anonymous" && (row.allow === "authenticated" || row.allow.includes(who)));
        if (allowed) {
          assert.ok(res.status !== 401 && res.status !== 403 && res.status < 500, `${who}: allowed, got ${res.status} ${JSON.stringify(res.body)}`);
        } else if (who === "anonymous") {
          assert.equal(res.status, 401, `anonymous: ${JSON.stringify(res.body)}`);
          assert.equal(res.body.errors[0].code, "UNAUTHORIZED");
        } else {
          assert.equal(res.status, 403, `${who}: refused, got ${res.status} ${JSON.stringify(res.body)}`);
          assert.equal(res.body.errors[0].code, "DENIED");
          assert.ok(res.body.errors[0].message.length > 10, `${who}: a reason`);
          denials.push({ who, row });
        }
      }
    });
  }

  it("records each denial once, in the principal's tenancy; an outsider's never in the target's", async () => {
    const operator = api(registry, OPERATOR, registry.operatorToken);
    const logins = Object.fromEntries(Object.entries(LOGINS).map(([who, login]) => [login, who]));
    // Each serving process writes its buffered events within a second.
    const events = await until("every denial in the audit log", async () => {
      const all = (await operator.get("/audit?limit=1000")).body.data as any[];
      const denied = all.filter((e) => e.outcome === "denied" && logins[e.actor] !== undefined && e.action !== "PullImage");
      return denied.length >= denials.length ? denied : undefined;
    });
    const key = (who: string, operation: string, target: string) => `${who} ${operation} ${target}`;
    const counted = new Map<string, { count: number; tenancies: Set<string | null> }>();
    for (const e of events) {
      const target = e.target.startsWith("acme/new") ? "acme/new" : e.target;
      const k = key(logins[e.actor]!, e.action, target);
      const entry = counted.get(k) ?? { count: 0, tenancies: new Set() };
      entry.count++;
      entry.tenancies.add(e.tenancy);
      counted.set(k, entry);
    }
    for (const { who, row } of denials) {
      const k = key(who, row.operation!, row.target!);
      const entry = counted.get(k);
      assert.ok(entry, `no audit record for ${k}`);
      // Rows that share an operation and target (none but the two PATCH /tenancies/acme rows differ by operation).
      const rows = denials.filter((d) => d.who === who && d.row.operation === row.operation && d.row.target === row.target).length;
      assert.equal(entry.count, rows, `${k}: one record per denial`);
      const expected = who === "outsider" ? "beta" : who === "operator" ? "berth" : "acme";
      assert.deepEqual([...entry.tenancies], [expected], `${k}: in the principal's tenancy`);
    }
    assert.equal(events.length, denials.length, "no other denials were recorded");
    const acme = (await api(registry, "acme/boss", secrets.admin!).get("/tenancies/acme/audit?limit=1000")).body.data as any[];
    assert.ok(!acme.some((e) => e.actor === "beta/chief"), "acme's log says nothing of what beta's admin tried");
    assert.ok(!acme.some((e) => e.actor === "anonymous"), "nor of anonymous callers refused before any decision");
  });
});

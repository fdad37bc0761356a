// Every /v2 and /auth route × method × kind of principal, against one real registry: the status
// the decision gives (200/201/202/204/401/403/404) and the audit record it leaves (present or
// absent, in which tenancy). Each request comes from its own loopback address, so the record of
// each decision is found by address. Then the two findings of issue 19: automatic cross-mount
// never audits into another tenancy, and a mount's `from` is challenged for with token auth.
import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { AuditEvent } from "../../src/iam/store.js";
import { until } from "../helpers/until.js";
import { api, basic, call, expectStatus, OPERATOR, pushImage, rawCall, startAuthRegistry, token, type AuthRegistry } from "../iam/support.js";
import { addressFor, auditEvents, fromAddress } from "./support.js";

type Who = "anonymous" | "operator" | "admin" | "inspect" | "read" | "use" | "manage" | "other";
const EVERYONE: Who[] = ["anonymous", "operator", "admin", "inspect", "read", "use", "manage", "other"];
const VERBS = ["inspect", "read", "use", "manage"] as const;

/** Who each kind of route lets through; everyone else is refused (401 anonymous, 403 the rest). */
type Kind = "login" | "catalog" | "pull" | "push" | "create" | "delete" | "publicPull" | "publicPush" | "public";
const ALLOWED: Record<Kind, Who[]> = {
  login: ["operator", "admin", "inspect", "read", "use", "manage", "other"],
  catalog: ["operator", "admin", "inspect", "read", "use", "manage", "other"],
  // The operator looks into other tenancies (catalog) but never reads or changes their images.
  pull: ["admin", "read", "use", "manage"],
  push: ["admin", "use", "manage"],
  create: ["admin", "manage"],
  delete: ["admin", "manage"],
  publicPull: EVERYONE,
  publicPush: ["admin", "use", "manage"],
  public: EVERYONE,
};

interface Route {
  kind: Kind;
  method: string;
  /** the path, for this principal (a first push goes to a repository of its own) */
  path: (who: Who) => string;
  /** the status when allowed */
  ok: number;
  body?: () => Buffer;
  headers?: Record<string, string>;
  /** the denial's audit record: operation and target; none when a refusal is not audited */
  audit?: (who: Who) => { action: string; target: string };
}

describe("authorization of every /v2 and /auth route", () => {
  let registry: AuthRegistry;
  const secrets = new Map<Who, string>();
  const logins = new Map<Who, string>();
  let layer = "";
  let publicLayer = "";
  let manifest = "";

  const auth = (who: Who): Record<string, string> => (who === "anonymous" ? {} : { Authorization: basic(logins.get(who)!, secrets.get(who)!) });

  before(async () => {
    // One serving process: its audit batches are written in order, so a later denial's record
    // showing up means every earlier record would have too.
    registry = await startAuthRegistry({ BERTH_HTTP_WORKERS: "1" });
    const operator = api(registry, OPERATOR, registry.operatorToken);
    logins.set("operator", OPERATOR);
    secrets.set("operator", registry.operatorToken);
    const acme = await operator.post("/tenancies", { namespace: "acme", adminUser: "boss" });
    expectStatus(acme, 201, "tenancy acme");
    logins.set("admin", "acme/boss");
    secrets.set("admin", acme.body.data.token);
    const boss = api(registry, "acme/boss", acme.body.data.token);
    for (const verb of VERBS) {
      const group = verb.toUpperCase();
      expectStatus(await boss.post("/tenancies/acme/groups", { name: group }), 201, `group ${group}`);
      expectStatus(await boss.post("/tenancies/acme/users", { name: verb }), 201, `user ${verb}`);
      expectStatus(await boss.post(`/tenancies/acme/groups/${group}/members`, { user: verb }), 204, `member ${verb}`);
      const t = await boss.post(`/tenancies/acme/users/${verb}/auth-tokens`, {});
      expectStatus(t, 201, `token ${verb}`);
      logins.set(verb, `acme/${verb}`);
      secrets.set(verb, t.body.data.token);
    }
    const statements = VERBS.map((verb) => `Allow group ${verb.toUpperCase()} to ${verb} repos in tenancy`);
    expectStatus(await boss.post("/tenancies/acme/policies", { name: "Verbs", statements }), 201, "policy");
    const other = await operator.post("/tenancies", { namespace: "other", adminUser: "mallory" });
    expectStatus(other, 201, "tenancy other");
    logins.set("other", "other/mallory");
    secrets.set("other", other.body.data.token);

    assert.equal(await pushImage(registry, "acme/app", "v1", auth("admin").Authorization), 201);
    assert.equal(await pushImage(registry, "acme/pub", "v1", auth("admin").Authorization), 201);
    expectStatus(await boss.patch("/repositories/acme%2Fpub", { isPublic: true }), 200, "make acme/pub public");
    const got = await call(`${registry.url}/v2/acme/app/manifests/v1`, { headers: auth("admin") });
    expectStatus(got, 200, "manifest");
    layer = got.body.layers[0].digest;
    manifest = JSON.stringify(got.body);
    publicLayer = (await call(`${registry.url}/v2/acme/pub/manifests/v1`, { headers: auth("admin") })).body.layers[0].digest;
  });
  after(() => registry?.close());

  const absent = `sha256:${"0".repeat(64)}`;
  const denied = (action: string, target: string) => () => ({ action, target });
  const manifestHeaders = { "Content-Type": "application/vnd.oci.image.manifest.v1+json" };
  const routes = (): Route[] => [
    { kind: "login", method: "GET", path: () => "/v2/", ok: 200 },
    { kind: "catalog", method: "GET", path: () => "/v2/_catalog", ok: 200, audit: denied("ListDockerRepositories", "registry") },
    { kind: "pull", method: "GET", path: () => "/v2/acme/app/tags/list", ok: 200, audit: denied("PullImage", "acme/app") },
    { kind: "pull", method: "GET", path: () => "/v2/acme/app/manifests/v1", ok: 200, audit: denied("PullImage", "acme/app") },
    { kind: "pull", method: "HEAD", path: () => "/v2/acme/app/manifests/v1", ok: 200, audit: denied("PullImage", "acme/app") },
    { kind: "pull", method: "GET", path: () => `/v2/acme/app/blobs/${layer}`, ok: 200, audit: denied("PullImage", "acme/app") },
    { kind: "pull", method: "HEAD", path: () => `/v2/acme/app/blobs/${layer}`, ok: 200, audit: denied("PullImage", "acme/app") },
    { kind: "pull", method: "GET", path: () => `/v2/acme/app/referrers/${absent}`, ok: 200, audit: denied("PullImage", "acme/app") },
    { kind: "push", method: "POST", path: () => "/v2/acme/app/blobs/uploads/", ok: 202, audit: denied("PushImage", "acme/app") },
    { kind: "push", method: "GET", path: () => `/v2/acme/app/blobs/uploads/${randomUUID()}`, ok: 404, audit: denied("PushImage", "acme/app") },
    { kind: "push", method: "PATCH", path: () => `/v2/acme/app/blobs/uploads/${randomUUID()}`, ok: 404, body: () => randomBytes(16), audit: denied("PushImage", "acme/app") },
    { kind: "push", method: "PUT", path: () => `/v2/acme/app/blobs/uploads/${randomUUID()}?digest=${absent}`, ok: 404, audit: denied("PushImage", "acme/app") },
    { kind: "push", method: "DELETE", path: () => `/v2/acme/app/blobs/uploads/${randomUUID()}`, ok: 404, audit: denied("PushImage", "acme/app") },
    {
      kind: "push",
      method: "PUT",
      path: () => "/v2/acme/app/manifests/v1",
      ok: 201,
      body: () => Buffer.from(manifest),
      headers: manifestHeaders,
      audit: denied("PushImage", "acme/app"),
    },
    {
      kind: "create",
      method: "POST",
      path: (who) => `/v2/acme/first-${who}/blobs/uploads/`,
      ok: 202,
      // `use` may push but not create: the first push to a missing repository needs both.
      audit: (who) => ({ action: who === "use" ? "CreateContainerRepository" : "PushImage", target: `acme/first-${who}` }),
    },
    { kind: "delete", method: "DELETE", path: () => `/v2/acme/app/manifests/${absent}`, ok: 404, audit: denied("DeleteImage", "acme/app") },
    { kind: "delete", method: "DELETE", path: () => `/v2/acme/app/blobs/${absent}`, ok: 404, audit: denied("DeleteImage", "acme/app") },
    { kind: "publicPull", method: "GET", path: () => "/v2/acme/pub/manifests/v1", ok: 200 },
    { kind: "publicPull", method: "GET", path: () => "/v2/acme/pub/tags/list", ok: 200 },
    { kind: "publicPull", method: "GET", path: () => `/v2/acme/pub/blobs/${publicLayer}`, ok: 200 },
    { kind: "publicPush", method: "POST", path: () => "/v2/acme/pub/blobs/uploads/", ok: 202, audit: denied("PushImage", "acme/pub") },
    { kind: "public", method: "GET", path: () => "/auth/token?service=berth&scope=repository:acme/app:pull", ok: 200 },
    { kind: "public", method: "GET", path: () => "/auth/jwks", ok: 200 },
    { kind: "public", method: "HEAD", path: () => "/auth/jwks", ok: 200 },
  ];

  /** The audit log once a denial made now is in it (so is everything recorded before it). */
  const eventsAfterMarker = async (index: number): Promise<AuditEvent[]> => {
    const marker = addressFor(index);
    await rawCall(`${registry.url}/v2/acme/app/manifests/v1`, { headers: auth("other"), localAddress: marker });
    return until("the marker's audit record", async () => {
      const all = await auditEvents(registry);
      return fromAddress(all, marker).length > 0 ? all : undefined;
    });
  };

  /** The tenancy a denial is recorded in: the principal's; for anonymous, the target's only when public. */
  const auditTenancy = (who: Who, kind: Kind): string | null => {
    if (who === "anonymous") return kind === "publicPush" ? "acme" : null;
    return logins.get(who)!.split("/")[0]!;
  };

  it("answers each principal with the decision's status and records each denial once, in the right tenancy", async () => {
    const cases: { what: string; who: Who; route: Route; address: string; allowed: boolean }[] = [];
    for (const route of routes()) for (const who of EVERYONE) cases.push({ what: `${who} ${route.method} ${route.path(who)}`, who, route, address: addressFor(cases.length), allowed: ALLOWED[route.kind].includes(who) });
    for (const c of cases) {
      const res = await rawCall(`${registry.url}${c.route.path(c.who)}`, {
        method: c.route.method,
        headers: { ...auth(c.who), ...c.route.headers },
        body: c.route.body?.(),
        localAddress: c.address,
      });
      const expected = c.allowed ? c.route.ok : c.who === "anonymous" ? 401 : 403;
      assert.equal(res.status, expected, `${c.what}: ${JSON.stringify(res.body)}`);
      if (!c.allowed && c.route.method !== "HEAD") {
        assert.equal(res.body.errors[0].code, c.who === "anonymous" ? "UNAUTHORIZED" : "DENIED", c.what);
        if (c.who !== "anonymous") assert.match(res.body.errors[0].message, /^(you may|only)/, `${c.what}: a reason, not a login problem`);
      }
      if (!c.allowed && c.who === "anonymous") assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer realm=/, c.what);
    }

    const audited = cases.filter((c) => !c.allowed && c.route.audit);
    const events = await until("every denial's audit record", async () => {
      const all = await auditEvents(registry);
      return audited.every((c) => fromAddress(all, c.address).length > 0) ? all : undefined;
    });
    for (const c of cases) {
      const records = fromAddress(events, c.address);
      if (!c.allowed && c.route.audit) {
        assert.equal(records.length, 1, `${c.what}: one record per decision, got ${JSON.stringify(records)}`);
        const record = records[0]!;
        assert.deepEqual(
          { actor: record.actor, outcome: record.outcome, tenancy: record.tenancy, action: record.action, target: record.target },
          { actor: c.who === "anonymous" ? "anonymous" : logins.get(c.who), outcome: "denied", tenancy: auditTenancy(c.who, c.route.kind), ...c.route.audit(c.who) },
          c.what,
        );
        assert.ok(record.detail && record.detail.length > 0, `${c.what}: the record says why`);
      } else {
        assert.deepEqual(records.filter((r) => r.outcome === "denied"), [], `${c.what}: no denial recorded`);
      }
    }
    // Nothing another tenancy's user tried is ever in acme's log.
    assert.deepEqual(events.filter((e) => e.tenancy === "acme" && e.actor.startsWith("other/")), []);
  });

  it("says what the principal may do instead, and the same whether or not the repository exists", async () => {
    const push = async (who: Who, repo: string) => call(`${registry.url}/v2/${repo}/blobs/uploads/`, { method: "POST", headers: auth(who) });
    assert.equal((await push("read", "acme/app")).body.errors[0].message, "you may read acme/app but not push to it");
    assert.equal((await push("inspect", "acme/app")).body.errors[0].message, "you may see acme/app but not push to it");
    assert.equal((await push("use", "acme/missing")).body.errors[0].message, "you may read acme/missing but not create it");
    const foreign = await push("other", "acme/app");
    const foreignMissing = await push("other", "acme/no-such-repo");
    assert.equal(foreign.body.errors[0].message, "you may not push to acme/app");
    assert.equal(foreignMissing.body.errors[0].message, "you may not push to acme/no-such-repo");
  });

  it("the catalog lists what each principal may inspect: its own tenancy's, every tenancy's for the operator", async () => {
    const catalog = async (who: Who) => (await call(`${registry.url}/v2/_catalog`, { headers: auth(who) })).body.repositories as string[];
    const acme = await catalog("inspect");
    assert.ok(acme.includes("acme/app") && acme.includes("acme/pub") && acme.every((n) => n.startsWith("acme/")), JSON.stringify(acme));
    assert.deepEqual(await catalog("other"), []);
    const all = await catalog("operator");
    assert.ok(acme.every((n) => all.includes(n)), "the operator sees every tenancy's repositories");
  });

  it("with token auth: a scope the user's policies would grant is challenged (401), one they would not is denied (403)", async () => {
    const readToken = await token(registry, ["repository:acme/app:pull,push"], logins.get("read"), secrets.get("read"));
    const readPush = await call(`${registry.url}/v2/acme/app/blobs/uploads/`, { method: "POST", headers: { Authorization: `Bearer ${readToken.token}` } });
    assert.equal(readPush.status, 403);
    assert.equal(readPush.body.errors[0].message, "you may read acme/app but not push to it");
    const narrow = await token(registry, ["repository:acme/app:pull"], logins.get("use"), secrets.get("use"));
    const address = addressFor(10_000);
    const usePush = await rawCall(`${registry.url}/v2/acme/app/blobs/uploads/`, { method: "POST", headers: { Authorization: `Bearer ${narrow.token}` }, localAddress: address });
    assert.equal(usePush.status, 401);
    assert.equal(usePush.headers.get("www-authenticate"), `Bearer realm="${registry.url}/auth/token",service="berth",scope="repository:acme/app:pull,push",error="insufficient_scope"`);
    const anonymousToken = await token(registry, ["repository:acme/app:pull"]);
    const anonymousPull = await call(`${registry.url}/v2/acme/app/manifests/v1`, { headers: { Authorization: `Bearer ${anonymousToken.token}` } });
    assert.equal(anonymousPull.status, 401);
    // The challenge is not a denial: a client following it is not recorded as refused.
    assert.deepEqual(fromAddress(await eventsAfterMarker(10_004), address), []);
  });

  it("finding 1: automatic cross-mount (no `from`) by another tenancy's user falls back to an upload and audits nothing into the blob's tenancy", async () => {
    const address = addressFor(10_001);
    const mount = await rawCall(`${registry.url}/v2/other/app/blobs/uploads/?mount=${layer}`, { method: "POST", headers: auth("other"), localAddress: address });
    assert.equal(mount.status, 202, "a fresh upload session, not a mount");
    assert.equal((await call(`${registry.url}/v2/other/app/blobs/${layer}`, { method: "HEAD", headers: auth("other") })).status, 404);
    // A user of acme may mount from acme's repositories without naming one.
    const own = await call(`${registry.url}/v2/acme/mounted/blobs/uploads/?mount=${layer}`, { method: "POST", headers: auth("manage") });
    assert.equal(own.status, 201);
    assert.deepEqual(fromAddress(await eventsAfterMarker(10_002), address), [], "filtered silently");
  });

  it("finding 2: with token auth, a mount's `from` is challenged for with both scopes, and following the challenge mounts (201)", async () => {
    const pushOnly = await token(registry, ["repository:acme/target:pull,push"], logins.get("manage"), secrets.get("manage"));
    const url = `${registry.url}/v2/acme/target/blobs/uploads/?mount=${layer}&from=acme/app`;
    const first = await call(url, { method: "POST", headers: { Authorization: `Bearer ${pushOnly.token}` } });
    assert.equal(first.status, 401);
    const challenge = first.headers.get("www-authenticate") ?? "";
    const scope = /scope="([^"]+)"/.exec(challenge)?.[1];
    assert.equal(scope, "repository:acme/target:pull,push repository:acme/app:pull");
    assert.match(challenge, /error="insufficient_scope"/);
    // As docker does: one scope parameter per space-separated scope of the challenge.
    const both = await token(registry, scope!.split(" "), logins.get("manage"), secrets.get("manage"));
    const second = await call(url, { method: "POST", headers: { Authorization: `Bearer ${both.token}` } });
    assert.equal(second.status, 201);
    assert.equal(second.headers.get("docker-content-digest"), layer);
    // Another tenancy's user gets no pull on `from` from the token endpoint: its mount falls back, no loop.
    const foreign = await token(registry, ["repository:other/app:pull,push", "repository:acme/app:pull"], logins.get("other"), secrets.get("other"));
    assert.deepEqual(foreign.access.map((a) => a.actions), [["pull", "push"], []]);
    const fallback = await call(`${registry.url}/v2/other/app/blobs/uploads/?mount=${layer}&from=acme/app`, { method: "POST", headers: { Authorization: `Bearer ${foreign.token}` } });
    assert.equal(fallback.status, 202);
  });

  it("a denied explicit `from` is recorded in the principal's tenancy, never in the source's", async () => {
    const address = addressFor(10_003);
    const res = await rawCall(`${registry.url}/v2/other/app/blobs/uploads/?mount=${layer}&from=acme/app`, { method: "POST", headers: auth("other"), localAddress: address });
    assert.equal(res.status, 202);
    const records = await until("the denial of pull on from", async () => {
      const found = fromAddress(await auditEvents(registry), address);
      return found.length > 0 ? found : undefined;
    });
    assert.deepEqual(
      records.map((r: AuditEvent) => ({ tenancy: r.tenancy, action: r.action, target: r.target, outcome: r.outcome })),
      [{ tenancy: "other", action: "PullImage", target: "acme/app", outcome: "denied" }],
    );
  });
});

// IAM end to end over HTTP: the OCIR walkthrough's tenancy, groups, users and policies, then
// what each caller may do through the token endpoint, HTTP Basic and anonymously.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { api, basic, call, expectStatus, OPERATOR, pushImage, startAuthRegistry, token, type AuthRegistry } from "./support.js";

const SEED_POLICY = [
  "Allow group CONREG_DEV to use repos in tenancy",
  "Allow group CONREG_DEV to manage repos in tenancy where ANY {request.permission = 'REPOSITORY_CREATE', request.permission = 'REPOSITORY_UPDATE'}",
  "Allow group CONREG_USER to read repos in tenancy",
  "allow group PROJECT to manage repos in tenancy where target.repo.name = /projectName-*/",
  "allow group LISTERS to inspect repos in tenancy where request.operation='ListDockerRepositories'",
];

describe("IAM: tenancies, policies, auth tokens and Docker token auth", () => {
  let registry: AuthRegistry;
  let admin: ReturnType<typeof api>;
  const tokens: Record<string, string> = {};
  const login = (user: string) => `ourtenant/${user}`;

  before(async () => {
    registry = await startAuthRegistry({ BERTH_AUTH_RATELIMIT_PERUSERADDRESS: "3" });
    const operator = api(registry, OPERATOR, registry.operatorToken);
    const created = await operator.post("/tenancies", { namespace: "ourtenant", adminUser: "tenantadmin" });
    expectStatus(created, 201, "create tenancy");
    tokens.tenantadmin = created.body.data.token;
    admin = api(registry, login("tenantadmin"), created.body.data.token);
    for (const group of ["CONREG_DEV", "CONREG_USER", "PROJECT", "LISTERS"]) expectStatus(await admin.post("/tenancies/ourtenant/groups", { name: group }), 201, group);
    const members: Record<string, string | undefined> = { dockerdev: "CONREG_DEV", dockeruser: "CONREG_USER", nobody: undefined, projectdev: "PROJECT", lister: "LISTERS" };
    for (const [user, group] of Object.entries(members)) {
      expectStatus(await admin.post("/tenancies/ourtenant/users", { name: user }), 201, `user ${user}`);
      if (group) expectStatus(await admin.post(`/tenancies/ourtenant/groups/${group}/members`, { user }), 204, `member ${user}`);
      const t = await admin.post(`/tenancies/ourtenant/users/${user}/auth-tokens`, { description: "first" });
      expectStatus(t, 201, `token ${user}`);
      tokens[user] = t.body.data.token;
    }
    expectStatus(await admin.post("/tenancies/ourtenant/policies", { name: "ContainerRegistryAccess", statements: SEED_POLICY }), 201, "policy");
  });
  after(() => registry?.close());

  it("GET /v2/ challenges anonymous callers with the token realm and accepts valid Basic", async () => {
    const anon = await call(`${registry.url}/v2/`);
    assert.equal(anon.status, 401);
    assert.equal(anon.headers.get("www-authenticate"), `Bearer realm="${registry.url}/auth/token",service="berth"`);
    assert.equal(anon.body.errors[0].code, "UNAUTHORIZED");
    assert.equal((await call(`${registry.url}/v2/`, { headers: { Authorization: basic(login("dockeruser"), tokens.dockeruser!) } })).status, 200);
    assert.equal((await call(`${registry.url}/v2/`, { headers: { Authorization: basic(login("dockeruser"), "wrong-token-123456") } })).status, 401);
  });

  it("the token endpoint grants exactly what the seed policies allow", async () => {
    const scope = ["repository:ourtenant/oxar:pull,push,delete"];
    const grants = async (user?: string) => (await token(registry, scope, user && login(user), user && tokens[user])).access[0]?.actions ?? [];
    assert.deepEqual(await grants("dockerdev"), ["pull", "push"]); // use + create/update, not delete
    assert.deepEqual(await grants("dockeruser"), ["pull"]);
    assert.deepEqual(await grants("nobody"), []);
    assert.deepEqual(await grants(undefined), []);
    assert.deepEqual(await grants("tenantadmin"), ["pull", "push", "delete"]);
    const project = await token(registry, ["repository:ourtenant/projectname-web:pull,push,delete", "repository:ourtenant/other:pull"], login("projectdev"), tokens.projectdev);
    assert.deepEqual(project.access.map((a) => a.actions), [["pull", "push", "delete"], []]);
  });

  it("a bearer token carries its grants to the registry, and nothing more", async () => {
    const dev = await token(registry, ["repository:ourtenant/oxar:pull,push"], login("dockerdev"), tokens.dockerdev);
    assert.equal(await pushImage(registry, "ourtenant/oxar", "0.0.1", `Bearer ${dev.token}`), 201);
    const user = await token(registry, ["repository:ourtenant/oxar:pull,push"], login("dockeruser"), tokens.dockeruser);
    const pull = await call(`${registry.url}/v2/ourtenant/oxar/manifests/0.0.1`, { headers: { Authorization: `Bearer ${user.token}` } });
    assert.equal(pull.status, 200);
    const denied = await call(`${registry.url}/v2/ourtenant/oxar/blobs/uploads/`, { method: "POST", headers: { Authorization: `Bearer ${user.token}` } });
    assert.equal(denied.status, 401);
    assert.match(denied.headers.get("www-authenticate") ?? "", /error="insufficient_scope"/);
    const forged = `${user.token!.slice(0, -4)}AAAA`;
    assert.equal((await call(`${registry.url}/v2/ourtenant/oxar/manifests/0.0.1`, { headers: { Authorization: `Bearer ${forged}` } })).status, 401);
  });

  it("HTTP Basic works directly: push for CONREG_DEV, pull only for CONREG_USER, nothing for others", async () => {
    assert.equal(await pushImage(registry, "ourtenant/basic-app", "v1", basic(login("dockerdev"), tokens.dockerdev!)), 201);
    assert.equal(await pushImage(registry, "ourtenant/basic-app", "v2", basic(login("dockeruser"), tokens.dockeruser!)), 403);
    const pull = (user: string) => call(`${registry.url}/v2/ourtenant/basic-app/manifests/v1`, { headers: { Authorization: basic(login(user), tokens[user]!) } });
    assert.equal((await pull("dockeruser")).status, 200);
    const nobody = await pull("nobody");
    assert.equal(nobody.status, 403);
    assert.equal(nobody.body.errors[0].code, "DENIED");
    // A private repository that does not exist answers exactly like one that does.
    const missing = await call(`${registry.url}/v2/ourtenant/no-such-repo/manifests/v1`, { headers: { Authorization: basic(login("nobody"), tokens.nobody!) } });
    assert.equal(missing.status, nobody.status);
    assert.deepEqual(missing.body, nobody.body);
    const tags = await call(`${registry.url}/v2/ourtenant/basic-app/tags/list`, { headers: { Authorization: basic(login("dockeruser"), tokens.dockeruser!) } });
    assert.deepEqual(tags.body.tags, ["v1"]);
  });

  it("anonymous pulls work only once the repository is public", async () => {
    const anonymous = () => call(`${registry.url}/v2/ourtenant/oxar/manifests/0.0.1`);
    const before = await anonymous();
    assert.equal(before.status, 401);
    assert.match(before.headers.get("www-authenticate") ?? "", /scope="repository:ourtenant\/oxar:pull"/);
    expectStatus(await api(registry, login("dockerdev"), tokens.dockerdev!).patch("/repositories/ourtenant%2Foxar", { isPublic: true }), 403, "use may not change visibility");
    expectStatus(await admin.patch("/repositories/ourtenant%2Foxar", { isPublic: true }), 200, "make public");
    assert.equal((await anonymous()).status, 200);
    assert.deepEqual((await token(registry, ["repository:ourtenant/oxar:pull,push"])).access[0]?.actions, ["pull"]);
    assert.equal(await pushImage(registry, "ourtenant/oxar", "anon"), 401);
    // Public is readable by other tenancies too, but never writable by them.
    expectStatus(await admin.patch("/repositories/ourtenant%2Foxar", { isPublic: false }), 200, "make private");
    assert.equal((await anonymous()).status, 401);
  });

  it("the catalog lists only what the caller may inspect", async () => {
    const catalog = async (user: string) =>
      (await call(`${registry.url}/v2/_catalog`, { headers: { Authorization: basic(login(user), tokens[user]!) } })).body.repositories;
    assert.deepEqual(await catalog("lister"), ["ourtenant/basic-app", "ourtenant/oxar"]);
    assert.deepEqual(await catalog("dockeruser"), ["ourtenant/basic-app", "ourtenant/oxar"]);
    assert.deepEqual(await catalog("nobody"), []);
    assert.equal((await call(`${registry.url}/v2/_catalog`)).status, 401);
    const viaToken = await token(registry, ["registry:catalog:*"], login("lister"), tokens.lister);
    const listed = await call(`${registry.url}/v2/_catalog`, { headers: { Authorization: `Bearer ${viaToken.token}` } });
    assert.deepEqual(listed.body.repositories, ["ourtenant/basic-app", "ourtenant/oxar"]);
  });

  it("at most two auth tokens per user; a deleted token stops working at once", async () => {
    const second = await admin.post("/tenancies/ourtenant/users/dockeruser/auth-tokens", { description: "second" });
    expectStatus(second, 201, "second token");
    const third = await admin.post("/tenancies/ourtenant/users/dockeruser/auth-tokens", { description: "third" });
    expectStatus(third, 409, "third token");
    assert.equal(third.body.errors[0].code, "LIMIT_EXCEEDED");
    const listed = await admin.get("/tenancies/ourtenant/users/dockeruser/auth-tokens");
    assert.equal(listed.body.data.length, 2);
    assert.ok(listed.body.data.every((t: Record<string, unknown>) => !("hash" in t) && !("token" in t)), "tokens are never shown again");

    const secret = second.body.data.token as string;
    const url = `${registry.url}/v2/ourtenant/oxar/manifests/0.0.1`;
    assert.equal((await call(url, { headers: { Authorization: basic(login("dockeruser"), secret) } })).status, 200);
    const bearer = await token(registry, ["repository:ourtenant/oxar:pull"], login("dockeruser"), secret);
    assert.equal((await call(url, { headers: { Authorization: `Bearer ${bearer.token}` } })).status, 200);
    // A user manages their own tokens.
    const self = api(registry, login("dockeruser"), tokens.dockeruser!);
    expectStatus(await self.delete(`/tenancies/ourtenant/users/dockeruser/auth-tokens/${second.body.data.record.id}`), 204, "delete own token");
    assert.equal((await call(url, { headers: { Authorization: basic(login("dockeruser"), secret) } })).status, 401);
    assert.equal((await call(url, { headers: { Authorization: `Bearer ${bearer.token}` } })).status, 401);
    assert.equal((await call(url, { headers: { Authorization: basic(login("dockeruser"), tokens.dockeruser!) } })).status, 200);
    // ...but not somebody else's.
    expectStatus(await self.get("/tenancies/ourtenant/users/dockerdev/auth-tokens"), 403, "other user's tokens");
  });

  it("OAuth2 password and refresh_token grants (containerd's flow)", async () => {
    const form = new URLSearchParams({
      grant_type: "password",
      username: login("dockeruser"),
      password: tokens.dockeruser!,
      service: "berth",
      scope: "repository:ourtenant/oxar:pull",
      client_id: "containerd",
      access_type: "offline",
    });
    const first = await call(`${registry.url}/auth/token`, { method: "POST", body: form });
    expectStatus(first, 200, "password grant");
    assert.ok(first.body.access_token && first.body.refresh_token);
    const refresh = new URLSearchParams({ grant_type: "refresh_token", refresh_token: first.body.refresh_token, service: "berth", scope: "repository:ourtenant/oxar:pull" });
    const second = await call(`${registry.url}/auth/token`, { method: "POST", body: refresh });
    expectStatus(second, 200, "refresh grant");
    const pulled = await call(`${registry.url}/v2/ourtenant/oxar/manifests/0.0.1`, { headers: { Authorization: `Bearer ${second.body.access_token}` } });
    assert.equal(pulled.status, 200);
    const bad = await call(`${registry.url}/auth/token`, { method: "POST", body: new URLSearchParams({ grant_type: "password", username: login("dockeruser"), password: "nope-nope-nope-nope" }) });
    assert.equal(bad.status, 401);
  });

  it("policy statements that do not parse are refused with position and reason", async () => {
    const res = await admin.post("/tenancies/ourtenant/policies", { name: "Broken", statements: ["Allow group X to read repos in tenancy", "Allow group X to fly repos in tenancy"] });
    expectStatus(res, 400, "bad statement");
    assert.match(res.body.errors[0].message, /statement 2: column 18: unknown verb "fly"/);
    assert.equal(res.body.errors[0].detail.column, 18);
    expectStatus(await admin.get("/tenancies/ourtenant/policies"), 200, "list");
    assert.equal((await admin.get("/tenancies/ourtenant/policies")).body.data.length, 1, "nothing was stored");
  });

  it("tenancies are walled off from each other whatever their policies say", async () => {
    const operator = api(registry, OPERATOR, registry.operatorToken);
    const other = await operator.post("/tenancies", { namespace: "othertenant", adminUser: "boss" });
    expectStatus(other, 201, "second tenancy");
    const boss = api(registry, "othertenant/boss", other.body.data.token);
    await boss.post("/tenancies/othertenant/groups", { name: "ALL" });
    await boss.post("/tenancies/othertenant/users", { name: "mallory" });
    await boss.post("/tenancies/othertenant/groups/ALL/members", { user: "mallory" });
    expectStatus(await boss.post("/tenancies/othertenant/policies", { name: "Everything", statements: ["Allow group ALL to manage all-resources in tenancy", "Allow group CONREG_DEV to manage repos in tenancy"] }), 201, "policy");
    const mallory = (await boss.post("/tenancies/othertenant/users/mallory/auth-tokens", {})).body.data.token as string;
    const auth = basic("othertenant/mallory", mallory);
    assert.equal((await call(`${registry.url}/v2/ourtenant/oxar/manifests/0.0.1`, { headers: { Authorization: auth } })).status, 403);
    assert.equal(await pushImage(registry, "ourtenant/mallory", "v1", auth), 403);
    assert.equal(await pushImage(registry, "othertenant/app", "v1", auth), 201);
    // Knowing a digest of another tenancy's private layer must not mount it (automatic cross-mount).
    const manifest = await call(`${registry.url}/v2/ourtenant/oxar/manifests/0.0.1`, { headers: { Authorization: basic(login("tenantadmin"), tokens.tenantadmin!) } });
    const layer = manifest.body.layers[0].digest as string;
    const mount = await call(`${registry.url}/v2/othertenant/app/blobs/uploads/?mount=${layer}`, { method: "POST", headers: { Authorization: auth } });
    assert.equal(mount.status, 202, "a fresh upload session, not a mount");
    assert.equal((await call(`${registry.url}/v2/othertenant/app/blobs/${layer}`, { method: "HEAD", headers: { Authorization: auth } })).status, 404);
    const named = await call(`${registry.url}/v2/othertenant/app/blobs/uploads/?mount=${layer}&from=ourtenant/oxar`, { method: "POST", headers: { Authorization: auth } });
    assert.equal(named.status, 202);
    assert.deepEqual((await token(registry, ["repository:ourtenant/oxar:pull,push,delete"], "othertenant/mallory", mallory)).access[0]?.actions, []);
    assert.deepEqual((await call(`${registry.url}/v2/_catalog`, { headers: { Authorization: auth } })).body.repositories, ["othertenant/app"]);
    // The other tenancy's admin cannot read or change this tenancy's IAM either.
    expectStatus(await boss.get("/tenancies/ourtenant/users"), 403, "foreign users");
    expectStatus(await boss.post("/tenancies/ourtenant/groups/CONREG_DEV/members", { user: "mallory" }), 403, "foreign group");
    expectStatus(await boss.get("/repositories/ourtenant%2Foxar"), 403, "foreign repository");
    expectStatus(await boss.get("/repositories/ourtenant%2Fno-such"), 403, "foreign missing repository answers the same");
    expectStatus(await boss.get("/tenancies"), 200, "own tenancies");
    assert.deepEqual((await boss.get("/tenancies")).body.data.map((t: { namespace: string }) => t.namespace), ["othertenant"]);
    expectStatus(await boss.post("/tenancies", { namespace: "third" }), 403, "only operators create tenancies");
  });

  it("the repository limit stops new repositories, not pushes to existing ones", async () => {
    const operator = api(registry, OPERATOR, registry.operatorToken);
    const small = await operator.post("/tenancies", { namespace: "small", adminUser: "owner", repositoryLimit: 1 });
    const auth = basic("small/owner", small.body.data.token);
    assert.equal(await pushImage(registry, "small/one", "v1", auth), 201);
    assert.equal(await pushImage(registry, "small/two", "v1", auth), 403);
    assert.equal(await pushImage(registry, "small/one", "v2", auth), 201);
    expectStatus(await api(registry, "small/owner", small.body.data.token).post("/repositories", { name: "small/three" }), 409, "limit via API");
  });

  it("records pushes and pulls per repository for the console and retention", async () => {
    const auth = { Authorization: basic(login("dockeruser"), tokens.dockeruser!) };
    assert.equal(await pushImage(registry, "ourtenant/stats-app", "v1", basic(login("dockerdev"), tokens.dockerdev!)), 201);
    for (let i = 0; i < 3; i++) assert.equal((await call(`${registry.url}/v2/ourtenant/stats-app/manifests/v1`, { headers: auth })).status, 200);
    await call(`${registry.url}/v2/ourtenant/stats-app/manifests/v1`, { method: "HEAD", headers: auth });
    // Pull counts are flushed every second by each worker; HEAD is not a pull.
    let after = (await admin.get("/repositories/ourtenant%2Fstats-app")).body.data;
    for (let i = 0; i < 30 && after.pulls < 3; i++) {
      await new Promise((r) => setTimeout(r, 100));
      after = (await admin.get("/repositories/ourtenant%2Fstats-app")).body.data;
    }
    await new Promise((r) => setTimeout(r, 1200));
    after = (await admin.get("/repositories/ourtenant%2Fstats-app")).body.data;
    assert.equal(after.pulls, 3);
    assert.equal(after.tags, 1);
    assert.equal(after.manifests, 1);
    assert.ok(after.size > 0 && Date.parse(after.lastPushedAt) > Date.parse(after.createdAt) - 1000, "times are ISO-8601 UTC strings");
    assert.equal(after.isPublic, false);
  });

  it("failed logins are throttled per user and address", async () => {
    const url = `${registry.url}/v2/`;
    for (let i = 0; i < 3; i++) assert.equal((await call(url, { headers: { Authorization: basic(login("lister"), `wrong-${i}-not-a-token`) } })).status, 401);
    const blocked = await call(url, { headers: { Authorization: basic(login("lister"), tokens.lister!) } });
    assert.equal(blocked.status, 429);
    assert.equal(blocked.body.errors[0].code, "TOOMANYREQUESTS");
    assert.ok(Number(blocked.headers.get("retry-after")) > 0);
  });

  it("the token endpoint refuses a service that is not ours, and accepts none", async () => {
    const auth = { Authorization: basic(login("dockeruser"), tokens.dockeruser!) };
    const other = await call(`${registry.url}/auth/token?service=other-service&scope=repository:ourtenant/oxar:pull`, { headers: auth });
    assert.equal(other.status, 400);
    assert.equal(other.body.errors[0].code, "UNSUPPORTED");
    assert.match(other.body.errors[0].message, /for service "berth" only, not "other-service"/);
    assert.deepEqual(other.body.errors[0].detail, { service: "other-service", expected: "berth" });
    const form = new URLSearchParams({ grant_type: "password", username: login("dockeruser"), password: tokens.dockeruser!, service: "other-service" });
    const posted = await call(`${registry.url}/auth/token`, { method: "POST", body: form });
    assert.equal(posted.status, 400);
    assert.equal(posted.body.errors[0].code, "UNSUPPORTED");
    expectStatus(await call(`${registry.url}/auth/token?scope=repository:ourtenant/oxar:pull`, { headers: auth }), 200, "no service");
    expectStatus(await call(`${registry.url}/auth/token?service=berth`, { headers: auth }), 200, "our service");
    form.delete("service");
    expectStatus(await call(`${registry.url}/auth/token`, { method: "POST", body: form }), 200, "no service in the form");
  });

  it("the audit log records changes and denials, without secrets", async () => {
    type Event = { actor: string; action: string; target: string; outcome: string; detail: string | null };
    const expected: [string, (e: Event) => boolean][] = [
      ["a manifest push", (e) => e.actor === "ourtenant/dockerdev" && e.action === "PushManifest" && e.target === "ourtenant/oxar@0.0.1"],
      ["a denied push", (e) => e.actor === "ourtenant/dockeruser" && e.outcome === "denied" && e.target === "ourtenant/basic-app"],
      ["a policy change", (e) => e.action === "CreatePolicy" && e.outcome === "ok"],
      ["a failed login", (e) => e.action === "Login" && e.outcome === "denied"],
    ];
    // Each worker process writes its events in batches every second.
    let events: Event[] = [];
    for (let i = 0; i < 30 && !expected.every(([, match]) => events.some(match)); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 100));
      const res = await admin.get("/tenancies/ourtenant/audit?limit=500");
      expectStatus(res, 200, "audit");
      events = res.body.data as Event[];
    }
    for (const [what, match] of expected) assert.ok(events.some(match), what);
    const text = JSON.stringify(events);
    for (const secret of Object.values(tokens)) assert.ok(!text.includes(secret), "no token in the audit log");
    assert.ok(!registry.output().includes(tokens.dockerdev!), "no token in the server log");
  });

  it("publishes its signing keys and keeps old tokens valid across a rotation", async () => {
    const before = await token(registry, ["repository:ourtenant/oxar:pull"], login("dockeruser"), tokens.dockeruser);
    const rotated = await api(registry, OPERATOR, registry.operatorToken).post("/signing-keys/rotate", {});
    expectStatus(rotated, 200, "rotate");
    const jwks = await call(`${registry.url}/auth/jwks`);
    assert.equal(jwks.body.keys.length, 2);
    assert.ok(jwks.body.keys.every((k: Record<string, unknown>) => k.kty === "EC" && !("d" in k)), "public keys only");
    const after = await token(registry, ["repository:ourtenant/oxar:pull"], login("dockeruser"), tokens.dockeruser);
    const kid = (t: string) => JSON.parse(Buffer.from(t.split(".")[0]!, "base64url").toString()).kid;
    assert.equal(kid(after.token!), rotated.body.data.kid);
    for (const t of [before.token, after.token]) {
      assert.equal((await call(`${registry.url}/v2/ourtenant/oxar/manifests/0.0.1`, { headers: { Authorization: `Bearer ${t}` } })).status, 200);
    }
  });
});

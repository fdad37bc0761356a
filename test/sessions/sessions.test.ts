// Console sessions over a real `berth serve`: sign-in by auth token and by console password, the
// cookie's attributes, CSRF, password changes, logout seen by another process on the same data,
// throttling, expiry, cross-tenant walls, and removals seen at once.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { startRegistry, type RunningRegistry } from "../helpers/registry.js";
import { needTools } from "../helpers/tools.js";
import { until } from "../helpers/until.js";
import { basic, expectStatus, OPERATOR, startAuthRegistry, type AuthRegistry } from "../iam/support.js";
import { basicApi, ConsoleClient, send } from "./support.js";

const exec = promisify(execFile);
const COOKIE = /^berth_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Strict$/;

/** A POST with any content type, as a browser form sends it (outside the OpenAPI check). */
async function rawPost(url: string, body: string, type: string): Promise<{ status: number; text: string; cookie: string | null | undefined }> {
  const res = await fetch(url, { method: "POST", headers: { "Content-Type": type }, body });
  return { status: res.status, text: await res.text(), cookie: res.headers.get("set-cookie") ?? undefined };
}

interface Tenancy {
  rootToken: string;
  annToken: string;
}

/** Tenancy `namespace` with an administrator `root` and a user `ann`, each with an auth token. */
async function tenancy(registry: { url: string; operatorToken: string }, namespace: string): Promise<Tenancy> {
  const operator = basicApi(registry.url, OPERATOR, registry.operatorToken);
  const created = await operator.post("/tenancies", { namespace, adminUser: "root" });
  expectStatus(created, 201, "create tenancy");
  const root = basicApi(registry.url, `${namespace}/root`, created.body.data.token);
  expectStatus(await root.post(`/tenancies/${namespace}/users`, { name: "ann" }), 201, "create ann");
  const token = await root.post(`/tenancies/${namespace}/users/ann/auth-tokens`, { description: "ann's" });
  expectStatus(token, 201, "ann's token");
  return { rootToken: created.body.data.token, annToken: token.body.data.token };
}

describe("console sessions over HTTP", () => {
  let registry: AuthRegistry;
  let acme: Tenancy;
  let other: Tenancy;

  before(async () => {
    registry = await startAuthRegistry({ BERTH_HTTP_WORKERS: "1", BERTH_AUTH_RATELIMIT_PERUSERADDRESS: "3" });
    acme = await tenancy(registry, "acme");
    other = await tenancy(registry, "other");
  });
  after(() => registry?.close());

  it("signs in with an auth token: 201, the user, an HttpOnly SameSite=Strict cookie (not Secure over plain HTTP)", async () => {
    const browser = new ConsoleClient(registry.url);
    const signed = await browser.signIn("acme/ann", acme.annToken);
    expectStatus(signed, 201, "sign in");
    assert.equal(signed.cookies.length, 1);
    assert.match(signed.cookies[0]!, COOKIE);
    assert.equal(signed.body.data.user, "acme/ann");
    assert.equal(signed.body.data.tenancy, "acme");
    assert.match(signed.body.data.csrfToken, /^[A-Za-z0-9_-]{43}$/);
    assert.match(signed.body.data.expiresAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(Date.parse(signed.body.data.expiresAt) - Date.now() > 11 * 3_600_000, "12 hours by default");

    const current = await browser.send("GET", "/session");
    expectStatus(current, 200, "GET /session");
    assert.equal(current.body.data.user, "acme/ann");
    assert.equal(current.body.data.csrfToken, browser.csrfToken, "a reloaded console gets its CSRF token back");
    const whoami = await browser.send("GET", "/whoami");
    expectStatus(whoami, 200, "whoami by cookie");
    assert.equal(whoami.body.data.name, "acme/ann");

    const none = await send(`${registry.url}/api/v1/session`);
    expectStatus(none, 401, "no cookie");
    assert.equal(none.body.errors[0].code, "UNAUTHORIZED");
    const forged = await send(`${registry.url}/api/v1/session`, { headers: { Cookie: `berth_session=${"A".repeat(43)}` } });
    expectStatus(forged, 401, "a session that does not exist");
  });

  it("Secure when a proxy says the client spoke https (X-Forwarded-Proto)", async () => {
    const signed = await new ConsoleClient(registry.url).signIn("acme/ann", acme.annToken, { "X-Forwarded-Proto": "https" });
    expectStatus(signed, 201, "sign in");
    assert.match(signed.cookies[0]!, /; HttpOnly; SameSite=Strict; Secure$/);
  });

  it("a wrong secret is 401 in the OCI envelope; a body without login or secret is 400", async () => {
    const wrong = await new ConsoleClient(registry.url).signIn("acme/ann", "not the token at all");
    expectStatus(wrong, 401, "wrong secret");
    assert.deepEqual(wrong.cookies, []);
    assert.equal(wrong.body.errors[0].code, "UNAUTHORIZED");
    expectStatus(await send(`${registry.url}/api/v1/session`, { method: "POST", json: { login: "acme/ann" } }), 400, "no secret");
  });

  it("refuses a sign-in posted by an HTML form (text/plain that parses as JSON): no login CSRF", async () => {
    // What `<form enctype="text/plain">` with the field `{"login":"acme/ann","secret":"<token>` = `"}` sends.
    const body = `{"login":"acme/ann","secret":"${acme.annToken}=\"}`;
    const posted = await rawPost(`${registry.url}/api/v1/session`, body, "text/plain");
    assert.equal(posted.status, 400, posted.text);
    assert.match(posted.text, /"code":"INVALID".*Content-Type: application\/json/);
    assert.equal(posted.cookie, undefined);
  });

  it("a console password: at least 12 characters, set by the user themself, then good for signing in", async () => {
    const ann = basicApi(registry.url, "acme/ann", acme.annToken);
    const short = await ann.put("/tenancies/acme/users/ann/console-password", { password: "too short" });
    expectStatus(short, 400, "short password");
    assert.match(short.body.errors[0].message, /at least 12 characters/);
    expectStatus(await ann.put("/tenancies/acme/users/ann/console-password", { password: "ann's console password" }), 204, "set");
    const browser = new ConsoleClient(registry.url);
    const signed = await browser.signIn("acme/ann", "ann's console password");
    expectStatus(signed, 201, "sign in by password");
    assert.equal(signed.body.data.user, "acme/ann");
    expectStatus(await new ConsoleClient(registry.url).signIn("acme/ann", "ann's console passworD"), 401, "wrong password");
    expectStatus(await new ConsoleClient(registry.url).signIn("acme/root", "ann's console password"), 401, "another user's password");
    // HTTP Basic and registry logins take auth tokens only: the password is for the console.
    expectStatus(await basicApi(registry.url, "acme/ann", "ann's console password").get("/whoami"), 401, "password over Basic");
  });

  it("CSRF: a write with the cookie needs X-CSRF-Token; a read does not; Basic needs none", async () => {
    const browser = new ConsoleClient(registry.url);
    expectStatus(await browser.signIn("acme/root", acme.rootToken), 201, "sign in");
    for (const token of [undefined, "wrong", `${browser.csrfToken}x`]) {
      const headers: Record<string, string> = token ? { "X-CSRF-Token": token } : {};
      const refused = await browser.send("POST", "/tenancies/acme/groups", { name: "devs" }, { csrf: false, headers });
      expectStatus(refused, 403, `CSRF token ${token}`);
      assert.deepEqual(refused.body.errors[0].code, "DENIED");
      assert.equal(refused.body.errors[0].message, "missing or wrong CSRF token");
    }
    expectStatus(await browser.send("GET", "/tenancies/acme/groups"), 200, "a read");
    expectStatus(await browser.send("POST", "/tenancies/acme/groups", { name: "devs" }), 201, "with the token");
    expectStatus(await basicApi(registry.url, "acme/root", acme.rootToken).delete("/tenancies/acme/groups/devs"), 204, "Basic, no CSRF token");
  });

  it("changing one's password keeps the session it was changed from and ends the others; an Administrator's change ends all", async () => {
    const ann = basicApi(registry.url, "acme/ann", acme.annToken);
    expectStatus(await ann.put("/tenancies/acme/users/ann/console-password", { password: "the first password" }), 204, "set");
    const here = new ConsoleClient(registry.url);
    const there = new ConsoleClient(registry.url);
    const byToken = new ConsoleClient(registry.url);
    expectStatus(await here.signIn("acme/ann", "the first password"), 201, "here");
    expectStatus(await there.signIn("acme/ann", "the first password"), 201, "there");
    expectStatus(await byToken.signIn("acme/ann", acme.annToken), 201, "by token");
    const refused = await here.send("PUT", "/tenancies/acme/users/ann/console-password", { password: "the second password" }, { csrf: false });
    expectStatus(refused, 403, "without the CSRF token");
    expectStatus(await here.send("PUT", "/tenancies/acme/users/ann/console-password", { password: "the second password" }), 204, "changed here");
    expectStatus(await here.send("GET", "/session"), 200, "the session it was changed from");
    expectStatus(await there.send("GET", "/session"), 401, "another session by password");
    expectStatus(await byToken.send("GET", "/session"), 401, "another session by token");
    expectStatus(await new ConsoleClient(registry.url).signIn("acme/ann", "the first password"), 401, "the old password");

    const root = new ConsoleClient(registry.url);
    expectStatus(await root.signIn("acme/root", acme.rootToken), 201, "root");
    expectStatus(await root.send("PUT", "/tenancies/acme/users/ann/console-password", { password: "set by the admin" }), 204, "admin sets it");
    expectStatus(await here.send("GET", "/session"), 401, "every session of ann ends");
    expectStatus(await root.send("GET", "/session"), 200, "the administrator's own stays");
    const again = new ConsoleClient(registry.url);
    expectStatus(await again.signIn("acme/ann", "set by the admin"), 201, "the new password");
    // Only the user's own change keeps a session: an Administrator's, even sent with her cookie, ends it.
    const both = await send(`${registry.url}/api/v1/tenancies/acme/users/ann/console-password`, {
      method: "PUT",
      headers: { Authorization: basic("acme/root", acme.rootToken), Cookie: again.cookie! },
      json: { password: "set by the admin again" },
    });
    expectStatus(both, 204, "admin by Basic, with ann's cookie");
    expectStatus(await again.send("GET", "/session"), 401, "ann's session ends all the same");
  });

  it("no reach into another tenancy: its passwords, its users, its logins", async () => {
    const boss = new ConsoleClient(registry.url);
    expectStatus(await boss.signIn("other/root", other.rootToken), 201, "other's administrator");
    const password = await boss.send("PUT", "/tenancies/acme/users/ann/console-password", { password: "taken over from other" });
    expectStatus(password, 403, "another tenancy's user");
    const missing = await boss.send("PUT", "/tenancies/acme/users/nobody/console-password", { password: "taken over from other" });
    expectStatus(missing, 403, "existence is not revealed");
    expectStatus(await boss.send("GET", "/tenancies/acme/users"), 403, "another tenancy's users");
    expectStatus(await new ConsoleClient(registry.url).signIn("acme/ann", other.annToken), 401, "another tenancy's token");
    const mine = await boss.send("GET", "/session");
    assert.equal(mine.body.data.user, "other/root");
  });

  it("a deleted user or a lost Administrators membership counts from the next request", async () => {
    const root = basicApi(registry.url, "acme/root", acme.rootToken);
    expectStatus(await root.post("/tenancies/acme/users", { name: "eve" }), 201, "eve");
    expectStatus(await root.post("/tenancies/acme/groups/Administrators/members", { user: "eve" }), 204, "eve an admin");
    const eveToken = (await root.post("/tenancies/acme/users/eve/auth-tokens", {})).body.data.token;
    const eve = new ConsoleClient(registry.url);
    expectStatus(await eve.signIn("acme/eve", eveToken), 201, "eve signs in");
    expectStatus(await eve.send("GET", "/tenancies/acme/users"), 200, "as an administrator");
    expectStatus(await root.delete("/tenancies/acme/groups/Administrators/members/eve"), 204, "no longer");
    expectStatus(await eve.send("GET", "/tenancies/acme/users"), 403, "at once");
    expectStatus(await root.delete("/tenancies/acme/users/eve"), 204, "eve deleted");
    expectStatus(await eve.send("GET", "/session"), 401, "her session ends with her");
  });

  it("sign-in failures are throttled with the Basic counters: 429 with Retry-After, even for the right secret", async () => {
    const from = { localAddress: "127.0.0.9" };
    for (let i = 0; i < 3; i++) expectStatus(await new ConsoleClient(registry.url, from).signIn("acme/root", "a wrong guess"), 401, `guess ${i}`);
    const throttled = await new ConsoleClient(registry.url, from).signIn("acme/root", acme.rootToken);
    expectStatus(throttled, 429, "throttled");
    assert.ok(Number(throttled.headers.get("retry-after")) > 0);
    assert.equal(throttled.body.errors[0].code, "TOOMANYREQUESTS");
    const basic = await send(`${registry.url}/api/v1/whoami`, { ...from, headers: { Authorization: `Basic ${Buffer.from(`acme/root:${acme.rootToken}`).toString("base64")}` } });
    expectStatus(basic, 429, "Basic from there too: the same counters");
    expectStatus(await new ConsoleClient(registry.url).signIn("acme/root", acme.rootToken), 201, "another address is not throttled");
    const audit = await basicApi(registry.url, "acme/root", acme.rootToken).get("/tenancies/acme/audit");
    const actions = (audit.body.data as { action: string; outcome: string; actor: string }[]).map((e) => `${e.actor} ${e.action} ${e.outcome}`);
    assert.ok(actions.includes("anonymous Login denied"), actions.join("\n"));
    assert.ok(actions.includes("anonymous Login throttled"), actions.join("\n"));
    assert.ok(actions.includes("acme/root CreateSession ok"), actions.join("\n"));
  });
});

describe("console sessions across processes", () => {
  let root: string;
  const running: RunningRegistry[] = [];
  after(async () => {
    for (const r of running) await r.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("a logout on one serving process is seen by another at once (the session lives in the database)", async () => {
    root = await mkdtemp(join(tmpdir(), "berth-sessions-"));
    // Two `berth serve` sharing only the data directory: no message passes between them.
    const operatorToken = randomBytes(18).toString("base64url");
    const env = { BERTH_AUTH_ENABLED: "true", BERTH_AUTH_OPERATOR_TOKEN: operatorToken, BERTH_HTTP_WORKERS: "1" };
    const a = Object.assign(await startRegistry({ root, env }), { operatorToken });
    running.push(a);
    const b = await startRegistry({ root, env });
    running.push(b);
    const acme = await tenancy(a, "acme");
    const browser = new ConsoleClient(a.url);
    expectStatus(await browser.signIn("acme/ann", acme.annToken), 201, "signed in on a");
    expectStatus(await browser.send("GET", "/session", undefined, { base: b.url }), 200, "known to b");
    expectStatus(await browser.send("DELETE", "/session", undefined, { csrf: false }), 403, "logout needs the CSRF token");
    const out = await browser.send("DELETE", "/session");
    expectStatus(out, 204, "signed out on a");
    assert.equal(out.cookies[0], "berth_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
    expectStatus(await browser.send("GET", "/session", undefined, { base: b.url }), 401, "gone on b");
    expectStatus(await browser.send("GET", "/whoami", undefined, { base: b.url }), 401, "no access on b");
  });
});

describe("console sessions over TLS, with short limits", () => {
  let dir: string;
  let registry: AuthRegistry | undefined;
  after(async () => {
    await registry?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("Secure over TLS; a used session outlives `idle` and ends at `ttl`, an unused one ends after `idle`", async (t) => {
    if (!needTools(t, "openssl")) return;
    dir = await mkdtemp(join(tmpdir(), "berth-sessions-tls-"));
    const cert = join(dir, "cert.pem");
    const key = join(dir, "key.pem");
    await exec("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]);
    const ca = await readFile(cert);
    const IDLE = 1000;
    const TTL = 4000;
    const operatorToken = "operator-token-for-tls-test";
    const started = await startRegistry({
      args: ["--tls-cert", cert, "--tls-key", key],
      scheme: "https",
      env: { BERTH_AUTH_ENABLED: "true", BERTH_AUTH_OPERATOR_TOKEN: operatorToken, BERTH_HTTP_WORKERS: "1", BERTH_AUTH_SESSION_IDLE: "1s", BERTH_AUTH_SESSION_TTL: "4s" },
    });
    registry = Object.assign(started, { operatorToken });
    const created = await send(`${registry.url}/api/v1/tenancies`, {
      ca,
      method: "POST",
      headers: { Authorization: `Basic ${Buffer.from(`${OPERATOR}:${operatorToken}`).toString("base64")}` },
      json: { namespace: "acme", adminUser: "root" },
    });
    expectStatus(created, 201, "tenancy");
    const token = created.body.data.token as string;

    const usedClient = new ConsoleClient(registry.url, { ca });
    const unused = new ConsoleClient(registry.url, { ca });
    const signed = await usedClient.signIn("acme/root", token);
    expectStatus(signed, 201, "sign in");
    assert.match(signed.cookies[0]!, /^berth_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=4; HttpOnly; SameSite=Strict; Secure$/);
    expectStatus(await unused.signIn("acme/root", token), 201, "sign in");
    const start = Date.now();
    // Used every 100 ms, a session lives past `idle`; the unused one has ended by then.
    const used = async () => {
      const reply = await usedClient.send("GET", "/session");
      await new Promise((r) => setTimeout(r, 100));
      return reply.status;
    };
    await until("idle to pass while the session is used", async () => {
      assert.equal(await used(), 200, `alive ${Date.now() - start} ms after sign-in while used`);
      return Date.now() - start > IDLE * 1.5 ? true : undefined;
    });
    expectStatus(await unused.send("GET", "/session"), 401, "unused for longer than idle");
    // `ttl` ends it whatever the use.
    const ended = await until("the used session to end", async () => ((await used()) === 401 ? Date.now() - start : undefined), TTL + 5000);
    assert.ok(ended >= TTL - 300, `ended ${ended} ms after sign-in, before ttl`);
  });
});

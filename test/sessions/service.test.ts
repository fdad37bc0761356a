// The session service and console passwords in one process, on a real SQLite database, with a
// clock the test moves: sign-in, cookies, CSRF, idle and absolute expiry, logout, password
// changes, deleted users and tokens, throttling and the audit records.
import assert from "node:assert/strict";
import type { IncomingHttpHeaders } from "node:http";
import { beforeEach, describe, it } from "node:test";
import { pino } from "pino";
import { AdminServices } from "../../src/admin/services.js";
import { AdminApi } from "../../src/api/admin-api.js";
import { sessionRoutes } from "../../src/api/session-routes.js";
import { CredentialVerifier } from "../../src/auth/credentials.js";
import { hashPassword, MIN_PASSWORD_LENGTH, passwordProblem, verifyPassword } from "../../src/auth/password-hash.js";
import { SessionService } from "../../src/auth/sessions.js";
import { PolicyAuthorization } from "../../src/authz/index.js";
import { AccessControl } from "../../src/iam/access.js";
import { AuditLog } from "../../src/iam/audit.js";
import { LOCAL_OPERATOR, type Principal } from "../../src/iam/principal.js";
import type { IamStore } from "../../src/iam/store.js";
import { openSqliteStores } from "../../src/metadata/sqlite.js";
import { RegistryError } from "../../src/registry/errors.js";
import { Registry } from "../../src/registry/registry.js";
import { MemoryDriver } from "../../src/storage/drivers/memory.js";

const IDLE = 60_000;
const TTL = 600_000;
const ADDRESS = "192.0.2.7";

interface World {
  iam: IamStore;
  audit: AuditLog;
  admin: AdminServices;
  sessions: SessionService;
  /** the clock every part of the world reads, and how the test moves it */
  now(): number;
  advance(ms: number): void;
  rootToken: string;
  root: Principal;
}

async function world(tls = false): Promise<World> {
  const { meta, iam } = await openSqliteStores(":memory:", { repositoryLimits: true });
  const log = pino({ level: "silent" });
  let clock = 1_700_000_000_000;
  const now = () => clock;
  const audit = new AuditLog(iam, log, now, 3_600_000);
  const settings = { operatorNamespace: "berth", defaultRepositoryLimit: 10, maxTokensPerUser: 2 };
  const registry = new Registry({ storage: new MemoryDriver(), meta, now, deleteEnabled: true, log });
  const access = new AccessControl(iam, log);
  const authz = new PolicyAuthorization(iam, access, audit, { operatorNamespace: "berth" });
  const admin = new AdminServices({ iam, meta, registry, access, authz, audit, now, log, settings });
  const credentials = new CredentialVerifier(iam, audit, now, { perUserAddress: 3, perAddress: 100, window: 900_000 });
  const sessions = new SessionService(iam, credentials, audit, { idle: IDLE, ttl: TTL, tls }, now);
  const created = await admin.tenancies.create(LOCAL_OPERATOR, { namespace: "acme", adminUser: "root" });
  await admin.identities.createUser(LOCAL_OPERATOR, "acme", { name: "ann" });
  await admin.tenancies.create(LOCAL_OPERATOR, { namespace: "other", adminUser: "boss" });
  const root = await credentials.verify("acme/root", created.token!, ADDRESS);
  return { iam, audit, admin, sessions, now, advance: (ms) => (clock += ms), rootToken: created.token!, root };
}

/** The request headers a browser sends back after `cookie` was set. */
function withCookie(cookie: string, extra: IncomingHttpHeaders = {}): IncomingHttpHeaders {
  return { cookie: `theme=dark; ${cookie.split(";")[0]}`, ...extra };
}

async function refusal(promise: Promise<unknown>): Promise<RegistryError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof RegistryError, String(err));
    return err;
  }
  assert.fail("expected a refusal");
}

describe("console passwords at rest", () => {
  it("scrypt with a salt of its own, parameters in the string; wrong, damaged or too long never match", async () => {
    const a = await hashPassword("correct horse battery");
    const b = await hashPassword("correct horse battery");
    assert.match(a, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, b, "a fresh salt each time");
    assert.equal(await verifyPassword("correct horse battery", a), true);
    assert.equal(await verifyPassword("correct horse batterY", a), false);
    assert.equal(await verifyPassword("correct horse battery", a.replace("scrypt$32768", "scrypt$3")), false);
    assert.equal(await verifyPassword("correct horse battery", "scrypt$x"), false);
    assert.equal(await verifyPassword("x".repeat(2000), a), false);
    assert.match(passwordProblem("short")!, new RegExp(`at least ${MIN_PASSWORD_LENGTH} characters`));
    assert.equal(passwordProblem("twelve chars"), undefined);
  });
});

describe("console sessions (service)", () => {
  let w: World;
  beforeEach(async () => {
    w = await world();
  });

  it("signs in with an auth token: an HttpOnly, SameSite=Strict cookie whose session names the user", async () => {
    const { session, cookie } = await w.sessions.signIn("acme/root", w.rootToken, ADDRESS, {});
    assert.match(cookie, /^berth_session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=600; HttpOnly; SameSite=Strict$/);
    assert.equal(session.principal.name, "acme/root");
    assert.deepEqual(session.principal.groups, ["Administrators"]);
    assert.equal(session.expiresAt - session.createdAt, TTL);
    const current = await w.sessions.current(withCookie(cookie));
    assert.equal(current?.principal.name, "acme/root");
    assert.equal(current?.csrfToken, session.csrfToken);
    assert.equal(await w.sessions.current({}), undefined, "no cookie, no session");
    assert.equal(await w.sessions.current({ cookie: "theme=dark" }), undefined);
    assert.equal((await refusal(w.sessions.current({ cookie: "berth_session=forged" }))).code, "UNAUTHORIZED");
    assert.equal((await refusal(w.sessions.current({ cookie: `berth_session=${"A".repeat(43)}` }))).code, "UNAUTHORIZED");
  });

  it("Secure over TLS, or when a proxy says the client spoke https", async () => {
    const plain = await w.sessions.signIn("acme/root", w.rootToken, ADDRESS, { "x-forwarded-proto": "https" });
    assert.match(plain.cookie, /; Secure$/);
    assert.doesNotMatch((await w.sessions.signIn("acme/root", w.rootToken, ADDRESS, { "x-forwarded-proto": "http" })).cookie, /Secure/);
    const tls = await world(true);
    assert.match((await tls.sessions.signIn("acme/root", tls.rootToken, ADDRESS, {})).cookie, /; Secure$/);
  });

  it("writes with the cookie need the session's CSRF token; reads and requests without a cookie do not", async () => {
    const { session, cookie } = await w.sessions.signIn("acme/root", w.rootToken, ADDRESS, {});
    const other = await w.sessions.signIn("acme/root", w.rootToken, ADDRESS, {});
    assert.equal((await w.sessions.authenticateSession({ method: "GET", headers: withCookie(cookie) }))?.name, "acme/root");
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
      const missing = await refusal(w.sessions.authenticateSession({ method, headers: withCookie(cookie) }));
      assert.equal(missing.code, "DENIED");
      assert.equal(missing.status, 403);
      assert.equal(missing.message, "missing or wrong CSRF token");
      const wrong = withCookie(cookie, { "x-csrf-token": other.session.csrfToken });
      assert.equal((await refusal(w.sessions.authenticateSession({ method, headers: wrong }))).code, "DENIED", "another session's token");
      const right = withCookie(cookie, { "x-csrf-token": session.csrfToken });
      assert.equal((await w.sessions.authenticateSession({ method, headers: right }))?.name, "acme/root");
    }
    assert.equal(await w.sessions.authenticateSession({ method: "POST", headers: {} }), undefined);
  });

  it("ends after `idle` unused, lives on while used, and ends at `ttl` whatever the use; the row goes", async () => {
    const idle = await w.sessions.signIn("acme/root", w.rootToken, ADDRESS, {});
    const used = await w.sessions.signIn("acme/root", w.rootToken, ADDRESS, {});
    for (let t = 0; t + IDLE * 0.9 < TTL; t += IDLE * 0.9) {
      w.advance(IDLE * 0.9);
      assert.ok(await w.sessions.current(withCookie(used.cookie)), `still alive after ${t + IDLE * 0.9} ms of steady use`);
    }
    assert.equal((await refusal(w.sessions.current(withCookie(idle.cookie)))).message, "your console session has ended; sign in again");
    w.advance(TTL);
    assert.equal((await refusal(w.sessions.current(withCookie(used.cookie)))).code, "UNAUTHORIZED");
    assert.equal(await w.iam.purgeSessions(0, 0), 0, "ended sessions are deleted when seen");
  });

  it("expired sessions are purged at the next sign-in", async () => {
    await w.sessions.signIn("acme/root", w.rootToken, ADDRESS, {});
    w.advance(IDLE);
    const fresh = await w.sessions.signIn("acme/root", w.rootToken, ADDRESS, {});
    assert.equal(await w.iam.purgeSessions(0, 0), 0, "only the fresh one is left (purge with nothing expired)");
    assert.equal(await w.iam.purgeSessions(Number.MAX_SAFE_INTEGER, 0), 1);
    assert.equal((await refusal(w.sessions.current(withCookie(fresh.cookie)))).code, "UNAUTHORIZED");
  });

  it("signs out: the session is gone and the cookie cleared", async () => {
    const { cookie } = await w.sessions.signIn("acme/root", w.rootToken, ADDRESS, {});
    const cleared = await w.sessions.signOut(withCookie(cookie), ADDRESS);
    assert.equal(cleared, "berth_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
    assert.equal((await refusal(w.sessions.current(withCookie(cookie)))).code, "UNAUTHORIZED");
    assert.equal(await w.sessions.signOut({}), cleared, "signing out without a session is harmless");
  });

  it("a console password: at least 12 characters, good for signing in, changed by its user from a session that stays", async () => {
    assert.equal((await refusal(w.sessions.signIn("acme/ann", "ann's new password", ADDRESS, {}))).code, "UNAUTHORIZED", "none set yet");
    await assert.rejects(w.admin.passwords.set(w.root, "acme", "ann", "too short"), /at least 12 characters/);
    await assert.rejects(w.admin.passwords.set(w.root, "acme", "ann", 42), /"password" must be a string/);
    await w.admin.passwords.set(w.root, "acme", "ann", "ann's new password");
    const { session, cookie } = await w.sessions.signIn("acme/ann", "ann's new password", ADDRESS, {});
    assert.equal(session.principal.name, "acme/ann");
    assert.equal(session.principal.tokenId, undefined);
    const ann = (await w.sessions.current(withCookie(cookie)))!;
    await w.admin.passwords.set(ann.principal, "acme", "ann", "ann changed it herself", ann.idHash);
    assert.ok(await w.sessions.current(withCookie(cookie)), "the session she changed it from stays");
    assert.equal((await refusal(w.sessions.signIn("acme/ann", "ann's new password", ADDRESS, {}))).code, "UNAUTHORIZED", "the old one is gone");
    await w.sessions.signIn("acme/ann", "ann changed it herself", ADDRESS, {});

    await assert.rejects(w.admin.passwords.set(w.root, "acme", "nobody", "a password for nobody"), /user acme\/nobody not found/);
    assert.equal((await refusal(w.sessions.signIn("acme/ann", "x", ADDRESS, {}))).code, "UNAUTHORIZED");
  });

  it("in-process (the offline CLI): the local operator sets a console password through AdminApi.dispatch", async () => {
    const path = "/api/v1/tenancies/acme/users/ann/console-password";
    for (const sessions of [w.sessions, undefined]) {
      const api = new AdminApi(w.admin, { extraRoutes: sessionRoutes(sessions, w.admin.passwords) });
      const short = await api.dispatch(LOCAL_OPERATOR, { method: "PUT", path, body: { password: "short" } });
      assert.equal(short.status, 400);
      assert.match(JSON.stringify(short.body), /at least 12 characters/);
      const set = await api.dispatch(LOCAL_OPERATOR, { method: "PUT", path, body: { password: `set offline ${sessions ? "with" : "without"} sessions` } });
      assert.deepEqual(set, { status: 204, body: undefined });
      const missing = await api.dispatch(LOCAL_OPERATOR, { method: "PUT", path: "/api/v1/tenancies/acme/users/nobody/console-password", body: { password: "a password for nobody" } });
      assert.equal(missing.status, 404);
    }
    assert.equal((await w.sessions.signIn("acme/ann", "set offline without sessions", ADDRESS, {})).session.principal.name, "acme/ann");
  });

  it("an Administrator setting a user's password ends all of that user's sessions", async () => {
    await w.admin.passwords.set(w.root, "acme", "ann", "first password!");
    const one = await w.sessions.signIn("acme/ann", "first password!", ADDRESS, {});
    const two = await w.sessions.signIn("acme/ann", "first password!", ADDRESS, {});
    const rootSession = await w.sessions.signIn("acme/root", w.rootToken, ADDRESS, {});
    await w.admin.passwords.set(w.root, "acme", "ann", "second password");
    for (const s of [one, two]) assert.equal((await refusal(w.sessions.current(withCookie(s.cookie)))).code, "UNAUTHORIZED");
    assert.ok(await w.sessions.current(withCookie(rootSession.cookie)), "other users keep theirs");
  });

  it("a deleted user, a lost membership or a deleted auth token is seen at once", async () => {
    const token = await w.admin.tokens.create(w.root, "acme", "ann");
    const ann = await w.sessions.signIn("acme/ann", token.token, ADDRESS, {});
    const annByToken = await w.sessions.current(withCookie(ann.cookie));
    assert.equal(annByToken?.principal.tokenId, token.record.id);
    await w.admin.identities.addMember(w.root, "acme", "Administrators", "ann");
    assert.deepEqual((await w.sessions.current(withCookie(ann.cookie)))?.principal.groups, ["Administrators"]);
    await w.admin.identities.removeMember(w.root, "acme", "Administrators", "ann");
    assert.deepEqual((await w.sessions.current(withCookie(ann.cookie)))?.principal.groups, []);
    await w.admin.tokens.delete(w.root, "acme", "ann", token.record.id);
    assert.equal((await refusal(w.sessions.current(withCookie(ann.cookie)))).code, "UNAUTHORIZED", "signed in with a deleted token");

    await w.admin.passwords.set(w.root, "acme", "ann", "ann's password!");
    const byPassword = await w.sessions.signIn("acme/ann", "ann's password!", ADDRESS, {});
    await w.admin.identities.deleteUser(w.root, "acme", "ann");
    assert.equal((await refusal(w.sessions.current(withCookie(byPassword.cookie)))).code, "UNAUTHORIZED");
  });

  it("sign-in failures are throttled with the Basic counters and audited; a sign-in is audited in the user's tenancy", async () => {
    await w.admin.passwords.set(w.root, "acme", "ann", "ann's password!");
    for (let i = 0; i < 3; i++) assert.equal((await refusal(w.sessions.signIn("acme/ann", "wrong password", ADDRESS, {}))).code, "UNAUTHORIZED");
    const throttled = await refusal(w.sessions.signIn("acme/ann", "ann's password!", ADDRESS, {}));
    assert.equal(throttled.code, "TOOMANYREQUESTS");
    assert.equal(throttled.status, 429);
    assert.ok(Number(throttled.headers?.["Retry-After"]) > 0);
    const credentials = new CredentialVerifier(w.iam, w.audit, w.now, { perUserAddress: 3, perAddress: 100, window: 900_000 });
    assert.equal((await refusal(credentials.verify("acme/ann", "anything", ADDRESS))).code, "TOOMANYREQUESTS", "the same counters as Basic");
    await w.sessions.signIn("acme/ann", "ann's password!", "192.0.2.8", {});
    await w.audit.flush();
    const events = (await w.iam.listAudit({ tenancy: "acme", limit: 100 })).map((e) => `${e.actor} ${e.action} ${e.outcome} ${e.detail ?? ""}`.trim());
    assert.ok(events.includes("anonymous Login denied"), events.join("\n"));
    assert.ok(events.some((e) => e.startsWith("anonymous Login throttled")), events.join("\n"));
    assert.ok(events.includes("acme/ann CreateSession ok console password"), events.join("\n"));
    assert.deepEqual(await w.iam.listAudit({ tenancy: "other", limit: 100 }).then((l) => l.filter((e) => e.action !== "CreateTenancy")), []);
  });
});

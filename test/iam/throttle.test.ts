// Failed-login throttling against a real `berth serve` with two serving processes: by (user,
// address) and by address, never by user alone; 429 with Retry-After on every surface that takes
// credentials; throttled attempts audited in the named user's tenancy only; unlock by API and CLI.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { BERTH_MAIN } from "../helpers/registry.js";
import { api, basic, expectStatus, OPERATOR, rawCall, startAuthRegistry, type AuthRegistry, type Call } from "./support.js";

const exec = promisify(execFile);
const ATTACKER = "127.0.0.2";
const CI_RUNNER = "127.0.0.3";

describe("login throttling", () => {
  let registry: AuthRegistry;
  let admin: ReturnType<typeof api>;
  let rivalAdmin: ReturnType<typeof api>;
  const tokens: Record<string, string> = {};

  /** `GET /v2/` as `login` from `address`. */
  const v2 = (login: string, secret: string, address: string) =>
    rawCall(`${registry.url}/v2/`, { headers: { Authorization: basic(login, secret) }, localAddress: address });

  /** Fails `count` logins as acme/ci from `address`, each one answered 401. */
  const failLogins = async (count: number, address: string, login = () => "acme/ci") => {
    for (let i = 0; i < count; i++) {
      const res = await v2(login(), `wrong-token-${i}-xxxxxxxx`, address);
      assert.equal(res.status, 401, `failure ${i + 1}: ${JSON.stringify(res.body)}`);
    }
  };

  const assertThrottled = (res: Call, what: string) => {
    assert.equal(res.status, 429, `${what}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.errors[0].code, "TOOMANYREQUESTS", what);
    const seconds = Number(res.headers.get("retry-after"));
    assert.ok(Number.isInteger(seconds) && seconds > 0 && seconds <= 900, `${what}: Retry-After ${res.headers.get("retry-after")}`);
  };

  before(async () => {
    registry = await startAuthRegistry({ BERTH_HTTP_WORKERS: "2" });
    const operator = api(registry, OPERATOR, registry.operatorToken);
    const acme = await operator.post("/tenancies", { namespace: "acme", adminUser: "boss" });
    expectStatus(acme, 201, "tenancy acme");
    admin = api(registry, "acme/boss", acme.body.data.token);
    for (const user of ["ci", "dev"]) {
      expectStatus(await admin.post("/tenancies/acme/users", { name: user }), 201, `user ${user}`);
      const created = await admin.post(`/tenancies/acme/users/${user}/auth-tokens`, {});
      expectStatus(created, 201, `token ${user}`);
      tokens[user] = created.body.data.token;
    }
    const rival = await operator.post("/tenancies", { namespace: "rival", adminUser: "chief" });
    expectStatus(rival, 201, "tenancy rival");
    rivalAdmin = api(registry, "rival/chief", rival.body.data.token);
  });
  after(() => registry?.close());

  it("failures from one address throttle that user there, not the user elsewhere nor others there", async () => {
    await failLogins(10, ATTACKER);
    assertThrottled(await v2("acme/ci", tokens.ci!, ATTACKER), "the right token from the attacker's address");
    // Every surface that takes credentials answers the same from there.
    const auth = { Authorization: basic("acme/ci", tokens.ci!) };
    assertThrottled(await rawCall(`${registry.url}/auth/token?service=berth&scope=repository:acme/app:pull`, { headers: auth, localAddress: ATTACKER }), "GET /auth/token");
    const form = new URLSearchParams({ grant_type: "password", username: "acme/ci", password: tokens.ci!, service: "berth" }).toString();
    const post = { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: form };
    assertThrottled(await rawCall(`${registry.url}/auth/token`, { ...post, localAddress: ATTACKER }), "POST /auth/token");
    assertThrottled(await rawCall(`${registry.url}/api/v1/whoami`, { headers: auth, localAddress: ATTACKER }), "/api/v1");

    // The real user, from the CI runner, is not locked out anywhere.
    assert.equal((await v2("acme/ci", tokens.ci!, CI_RUNNER)).status, 200);
    expectStatus(await rawCall(`${registry.url}/auth/token?service=berth`, { headers: auth, localAddress: CI_RUNNER }), 200, "GET /auth/token from the runner");
    expectStatus(await rawCall(`${registry.url}/auth/token`, { ...post, localAddress: CI_RUNNER }), 200, "POST /auth/token from the runner");
    expectStatus(await rawCall(`${registry.url}/api/v1/whoami`, { headers: auth, localAddress: CI_RUNNER }), 200, "/api/v1 from the runner");
    // Another user at the attacker's address is not throttled (10 failures are under the address's 30).
    assert.equal((await v2("acme/dev", tokens.dev!, ATTACKER)).status, 200);
  });

  it("throttled attempts are audited as such, in the named user's tenancy only", async () => {
    type Event = { actor: string; action: string; target: string; outcome: string; address: string | null; detail: string | null };
    const throttled = (e: Event) => e.action === "Login" && e.target === "acme/ci" && e.outcome === "throttled" && e.address === ATTACKER;
    let events: Event[] = [];
    // Each serving process writes its audit events in batches every second.
    for (let i = 0; i < 40 && !events.some(throttled); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 100));
      events = (await admin.get("/tenancies/acme/audit?limit=500")).body.data;
    }
    const event = events.find(throttled);
    assert.ok(event, "a throttled login in acme's audit log");
    assert.match(event.detail ?? "", /too many failed logins for this user from this address/);
    assert.ok(events.some((e) => e.target === "acme/ci" && e.outcome === "denied"), "the failures too");
    const rival = (await rivalAdmin.get("/tenancies/rival/audit?limit=500")).body.data as Event[];
    assert.deepEqual(rival.filter((e) => e.action === "Login"), [], "nothing of acme's logins in rival's log");
  });

  it("unlock (admin API) lifts the throttle on every process; only the tenancy's Administrators and operators may", async () => {
    expectStatus(await api(registry, "acme/dev", tokens.dev!).post("/tenancies/acme/users/ci/unlock", {}), 403, "a plain user");
    expectStatus(await rivalAdmin.post("/tenancies/acme/users/ci/unlock", {}), 403, "another tenancy's admin");
    expectStatus(await admin.post("/tenancies/acme/users/nobody/unlock", {}), 404, "a missing user");
    assertThrottled(await v2("acme/ci", tokens.ci!, ATTACKER), "still throttled");
    expectStatus(await admin.post("/tenancies/acme/users/ci/unlock", {}), 204, "unlock by the tenancy's admin");
    // Fresh connections land on either serving process: none may still refuse.
    for (let i = 0; i < 10; i++) assert.equal((await v2("acme/ci", tokens.ci!, ATTACKER)).status, 200, `request ${i + 1} after unlock`);

    await failLogins(10, ATTACKER);
    assertThrottled(await v2("acme/ci", tokens.ci!, ATTACKER), "throttled again");
    expectStatus(await api(registry, OPERATOR, registry.operatorToken).post("/tenancies/acme/users/ci/unlock", {}), 204, "unlock by an operator");
    assert.equal((await v2("acme/ci", tokens.ci!, ATTACKER)).status, 200);
  });

  it("berth iam user unlock works offline next to the running server", async () => {
    // Another address: the attacker's has 20 failures now, and a 30th would throttle it as a whole.
    const attacker = "127.0.0.5";
    await failLogins(10, attacker);
    assertThrottled(await v2("acme/ci", tokens.ci!, attacker), "throttled");
    const cli = (...args: string[]) =>
      exec(process.execPath, [BERTH_MAIN, "iam", "user", "unlock", "--offline", "--root", registry.root, ...args], { env: { ...process.env, ...registry.metadataEnv } });
    const missing = await cli("--tenancy", "acme", "--user", "nobody").catch((e: { code: number; stderr: string }) => e);
    assert.equal((missing as { code: number }).code, 3);
    assert.match((missing as { stderr: string }).stderr, /^berth: not found: [^\n]*nobody[^\n]*\n$/);
    const done = await cli("--tenancy", "acme", "--user", "ci");
    // 204 from the API: nothing on stdout for a script (JSON output: stdout is not a terminal)
    assert.deepEqual([done.stdout, done.stderr], ["", ""]);
    for (let i = 0; i < 10; i++) assert.equal((await v2("acme/ci", tokens.ci!, attacker)).status, 200, `request ${i + 1} after unlock`);
  });

  it("an address with too many failures is throttled for every user, and only that address", async () => {
    const sprayer = "127.0.0.6";
    let n = 0;
    await failLogins(30, sprayer, () => `acme/ghost-${n++}`);
    const refused = await v2("acme/dev", tokens.dev!, sprayer);
    assertThrottled(refused, "any user from the spraying address");
    assert.equal((await v2("acme/dev", tokens.dev!, CI_RUNNER)).status, 200);
    const addressWide = (e: { outcome: string; address: string | null; detail: string | null }) =>
      e.outcome === "throttled" && e.address === sprayer && /too many failed logins from this address/.test(e.detail ?? "");
    let events: { outcome: string; address: string | null; detail: string | null }[] = [];
    for (let i = 0; i < 40 && !events.some(addressWide); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 100));
      events = (await admin.get("/tenancies/acme/audit?limit=500")).body.data;
    }
    assert.ok(events.some(addressWide), "audited as throttled for the address");
    // Unlocking a user does not lift an address's throttle: the failures there were not only theirs.
    expectStatus(await admin.post("/tenancies/acme/users/dev/unlock", {}), 204, "unlock");
    assertThrottled(await v2("acme/dev", tokens.dev!, sprayer), "the address stays throttled");
  });
});

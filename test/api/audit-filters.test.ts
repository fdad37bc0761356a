// The audit log's filters (?actor=, ?action=, ?outcome=, ?since=, ?repository=) over a real `berth serve`:
// they narrow the log in the store, pages of a filtered log continue it, bad values are 400
// INVALID, and a filter never reaches into another tenancy's events.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { api, basic, expectStatus, OPERATOR, pushImage, startAuthRegistry, type AuthRegistry } from "../iam/support.js";

type Event = { at: string; tenancy: string | null; actor: string; action: string; target: string; outcome: string };

describe("admin API: audit log filters", () => {
  let registry: AuthRegistry;
  let admin: ReturnType<typeof api>;
  let rival: ReturnType<typeof api>;
  let operator: ReturnType<typeof api>;
  let bossToken: string;

  before(async () => {
    registry = await startAuthRegistry({ BERTH_AUTH_RATELIMIT_PERUSERADDRESS: "1000", BERTH_AUTH_RATELIMIT_PERADDRESS: "1000" });
    operator = api(registry, OPERATOR, registry.operatorToken);
    const acme = await operator.post("/tenancies", { namespace: "acme", adminUser: "boss" });
    bossToken = acme.body.data.token;
    admin = api(registry, "acme/boss", bossToken);
    const other = await operator.post("/tenancies", { namespace: "rival", adminUser: "boss" });
    rival = api(registry, "rival/boss", other.body.data.token);
    for (const name of ["ann", "bob", "cid"]) expectStatus(await admin.post("/tenancies/acme/users", { name }), 201, name);
    const token = (await admin.post("/tenancies/acme/users/ann/auth-tokens", {})).body.data.token as string;
    // ann holds no policy: her attempt is denied, and recorded so.
    expectStatus(await api(registry, "acme/ann", token).post("/tenancies/acme/users", { name: "eve" }), 403, "ann creating a user");
    expectStatus(await rival.post("/tenancies/rival/users", { name: "ann" }), 201, "rival's ann");
  });
  after(() => registry?.close());

  const events = async (client: ReturnType<typeof api>, path: string): Promise<Event[]> => {
    const res = await client.get(path);
    expectStatus(res, 200, path);
    return res.body.data as Event[];
  };

  it("narrows by action, actor and outcome, each exactly", async () => {
    const created = await events(admin, "/tenancies/acme/audit?action=CreateUser");
    assert.deepEqual(created.map((e) => `${e.actor} ${e.target} ${e.outcome}`), ["acme/ann acme denied", "acme/boss acme/cid ok", "acme/boss acme/bob ok", "acme/boss acme/ann ok"]);
    const denied = await events(admin, "/tenancies/acme/audit?actor=acme%2Fann&outcome=denied");
    assert.deepEqual(denied.map((e) => e.action), ["CreateUser"]);
    assert.deepEqual(await events(admin, "/tenancies/acme/audit?actor=acme%2Fan"), [], "an actor matches whole");
    assert.ok((await events(admin, "/tenancies/acme/audit?outcome=ok")).every((e) => e.outcome === "ok"));
  });

  it("since: a date is its day's start in UTC, a time needs its zone", async () => {
    const today = new Date().toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    assert.ok((await events(admin, `/tenancies/acme/audit?action=CreateUser&since=${today}`)).length >= 4);
    assert.deepEqual(await events(admin, `/tenancies/acme/audit?since=${tomorrow}`), []);
    const all = await events(admin, "/tenancies/acme/audit?action=CreateUser");
    const newest = all[0]!.at;
    assert.deepEqual((await events(admin, `/tenancies/acme/audit?action=CreateUser&since=${encodeURIComponent(newest)}`)).map((e) => e.at), [newest], "inclusive");
  });

  it("pages a filtered log with its cursor, each event once", async () => {
    const whole = await events(admin, "/tenancies/acme/audit?action=CreateUser");
    const seen: Event[] = [];
    let cursor: string | undefined;
    do {
      const res = await admin.get(`/tenancies/acme/audit?action=CreateUser&limit=1${cursor ? `&cursor=${cursor}` : ""}`);
      expectStatus(res, 200, "page");
      assert.equal(res.body.data.length, 1, "a filtered page is full");
      seen.push(...res.body.data);
      cursor = res.body.next;
    } while (cursor);
    assert.deepEqual(seen, whole);
  });

  it("repository: a repository's history, its tags and images included, no other repository's", async () => {
    for (const name of ["acme/web", "acme/web-2", "acme/we_b"]) expectStatus(await admin.post("/repositories", { name }), 201, name);
    expectStatus(await admin.patch(`/repositories/${encodeURIComponent("acme/web")}`, { isPublic: true }), 200, "public");
    for (const repo of ["acme/web", "acme/web-2"]) assert.equal(await pushImage(registry, repo, "1.0", basic("acme/boss", bossToken)), 201, `push ${repo}`);
    for (const repo of ["acme/web", "acme/web-2"]) expectStatus(await admin.delete(`/repositories/${encodeURIComponent(repo)}/tags/1.0`), 204, `untag ${repo}`);
    const history = await events(admin, `/tenancies/acme/audit?repository=${encodeURIComponent("acme/web")}`);
    assert.deepEqual(history.map((e) => `${e.action} ${e.target}`), ["DeleteTag acme/web:1.0", "PushManifest acme/web@1.0", "UpdateContainerRepository acme/web", "CreateContainerRepository acme/web"]);
    // `_` is no wildcard: acme/we_b's history is its own.
    assert.deepEqual((await events(admin, `/tenancies/acme/audit?repository=${encodeURIComponent("acme/we_b")}`)).map((e) => e.target), ["acme/we_b"]);
    assert.deepEqual(await events(rival, `/tenancies/rival/audit?repository=${encodeURIComponent("acme/web")}`), [], "another tenancy's log holds none of it");
  });

  it("refuses bad filters with 400 INVALID naming the parameter", async () => {
    for (const [query, field] of [["outcome=maybe", "outcome"], ["since=yesterday", "since"], ["since=2026-01-01T00:00:00", "since"], [`actor=${"a".repeat(600)}`, "actor"]] as const) {
      const res = await admin.get(`/tenancies/acme/audit?${query}`);
      expectStatus(res, 400, query);
      assert.equal(res.body.errors[0].code, "INVALID");
      assert.match(res.body.errors[0].message, new RegExp(field));
    }
  });

  it("a filter never reaches another tenancy: rival sees its own ann only, acme's log stays refused", async () => {
    const mine = await events(rival, "/tenancies/rival/audit?action=CreateUser");
    assert.deepEqual(mine.map((e) => e.target), ["rival/ann"]);
    assert.deepEqual(await events(rival, "/tenancies/rival/audit?actor=acme%2Fboss"), []);
    expectStatus(await rival.get("/tenancies/acme/audit?actor=acme%2Fboss"), 403, "rival reading acme's log");
    const everywhere = await events(operator, "/audit?action=CreateUser&actor=rival%2Fboss");
    assert.deepEqual(everywhere.map((e) => e.target), ["rival/ann"], "the operator's registry-wide log filters too");
  });
});

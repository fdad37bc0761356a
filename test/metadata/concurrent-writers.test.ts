// Many clients writing at once through two serving processes (issue 22 and the repository
// limit): every admin write endpoint and pushes, over HTTP against a real `berth serve`.
import assert from "node:assert/strict";
import Sqlite from "better-sqlite3";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { api, basic, digest, expectStatus, OPERATOR, startAuthRegistry, token, type AuthRegistry } from "../iam/support.js";

interface Answer {
  what: string;
  status: number;
  body: any;
}

/** Pushes a fresh one-layer image; the answer of the first request that failed, or of the manifest PUT. */
async function push(registry: AuthRegistry, repo: string, authorization: string): Promise<Answer> {
  const headers = { Authorization: authorization };
  const layer = randomBytes(64);
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }));
  for (const blob of [layer, config]) {
    const res = await fetch(`${registry.url}/v2/${repo}/blobs/uploads/?digest=${digest(blob)}`, { method: "POST", headers, body: blob });
    const text = await res.text();
    if (res.status !== 201) return { what: `push ${repo} (blob)`, status: res.status, body: text ? JSON.parse(text) : undefined };
  }
  const manifest = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: digest(config), size: config.length },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: digest(layer), size: layer.length }],
  };
  const res = await fetch(`${registry.url}/v2/${repo}/manifests/v1`, {
    method: "PUT",
    headers: { ...headers, "Content-Type": manifest.mediaType },
    body: JSON.stringify(manifest),
  });
  const text = await res.text();
  return { what: `push ${repo} (manifest)`, status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** The answers that are not `201 Created`: each must be `403 DENIED` naming the tenancy's limit. */
function assertRefusedAtLimit(answers: Answer[], namespace: string, limit: number): void {
  for (const a of answers.filter((a) => a.status !== 201)) {
    assert.equal(a.status, 403, `${a.what}: ${JSON.stringify(a.body)}`);
    assert.equal(a.body.errors[0].code, "DENIED");
    assert.match(a.body.errors[0].message, new RegExp(`^tenancy ${namespace} has reached its limit of ${limit} repositories`));
  }
}

describe("concurrent writers across two serving processes", () => {
  let registry: AuthRegistry;
  let operator: ReturnType<typeof api>;

  before(async () => {
    registry = await startAuthRegistry({ BERTH_HTTP_WORKERS: "2" });
    operator = api(registry, OPERATOR, registry.operatorToken);
  });
  after(() => registry?.close());

  it("the repository limit holds when it is reached by racing first pushes, with Basic and with tokens fetched before", async () => {
    const created = await operator.post("/tenancies", { namespace: "racing", adminUser: "boss", repositoryLimit: 10 });
    expectStatus(created, 201, "tenancy");
    const boss = basic("racing/boss", created.body.data.token);
    const admin = api(registry, "racing/boss", created.body.data.token);
    for (let i = 0; i < 5; i++) expectStatus(await admin.post("/repositories", { name: `racing/existing-${i}` }), 201, "repository");

    const withBasic = await Promise.all(Array.from({ length: 20 }, (_, i) => push(registry, `racing/basic-${i}`, boss)));
    assert.equal(withBasic.filter((a) => a.status === 201).length, 5, "5 of 20 fit under the limit of 10");
    assertRefusedAtLimit(withBasic, "racing", 10);

    expectStatus(await operator.patch("/tenancies/racing", { repositoryLimit: 15 }), 200, "raise the limit");
    // Every token is fetched while there is room: the limit is not the token's to decide.
    const tokens = await Promise.all(
      Array.from({ length: 20 }, (_, i) => token(registry, [`repository:racing/bearer-${i}:push,pull`], "racing/boss", created.body.data.token)),
    );
    for (const t of tokens) assert.deepEqual(t.access[0]?.actions.sort(), ["pull", "push"]);
    const withBearer = await Promise.all(tokens.map((t, i) => push(registry, `racing/bearer-${i}`, `Bearer ${t.token}`)));
    assert.equal(withBearer.filter((a) => a.status === 201).length, 5, "5 of 20 fit under the limit of 15");
    assertRefusedAtLimit(withBearer, "racing", 15);

    const listed = await admin.get("/tenancies/racing/repositories");
    assert.equal(listed.body.data.length, 15);
    expectStatus(await admin.post("/repositories", { name: "racing/one-more" }), 409, "the admin API refuses past the limit too");
  });

  it("every admin write endpoint and pushes at once: no 5xx, no lock error, every limit holds (issue 22)", async () => {
    const created = await operator.post("/tenancies", { namespace: "busy", adminUser: "boss", repositoryLimit: 6 });
    expectStatus(created, 201, "tenancy");
    const admin = api(registry, "busy/boss", created.body.data.token);
    for (const name of ["dev", "ops"]) expectStatus(await admin.post("/tenancies/busy/users", { name }), 201, `user ${name}`);
    expectStatus(await admin.post("/tenancies/busy/groups", { name: "DEVS" }), 201, "group");
    const answers: Answer[] = [];
    const record = (what: string) => (r: { status: number; body: any }) => answers.push({ what, status: r.status, body: r.body });

    const clients: Promise<unknown>[] = [];
    // Ten token requests for one user at once (the case), for two users.
    for (let i = 0; i < 20; i++) {
      const user = i % 2 ? "dev" : "ops";
      clients.push(admin.post(`/tenancies/busy/users/${user}/auth-tokens`, { description: `t${i}` }).then(record(`token ${user}`)));
    }
    // Users, groups, memberships and policies, each client its own, created, changed and deleted.
    for (let i = 0; i < 6; i++) {
      clients.push(
        (async () => {
          const t = "/tenancies/busy";
          record("user")(await admin.post(`${t}/users`, { name: `u${i}` }));
          record("group")(await admin.post(`${t}/groups`, { name: `G${i}` }));
          record("member")(await admin.post(`${t}/groups/G${i}/members`, { user: `u${i}` }));
          record("member")(await admin.post(`${t}/groups/DEVS/members`, { user: `u${i}` }));
          record("policy")(await admin.post(`${t}/policies`, { name: `p${i}`, statements: [`Allow group G${i} to read repos in tenancy`] }));
          record("policy")(await admin.patch(`${t}/policies/p${i}`, { description: "changed" }));
          record("own token")(await admin.post(`${t}/users/u${i}/auth-tokens`, { description: "x" }));
          record("member")(await admin.delete(`${t}/groups/G${i}/members/u${i}`));
          record("policy")(await admin.delete(`${t}/policies/p${i}`));
          record("group")(await admin.delete(`${t}/groups/G${i}`));
          record("user")(await admin.delete(`${t}/users/u${i}`));
        })(),
      );
    }
    // Tenancies come and go, and the tenancy itself changes.
    for (let i = 0; i < 4; i++) {
      clients.push(
        (async () => {
          record("tenancy")(await operator.post("/tenancies", { namespace: `brief${i}`, adminUser: "someone" }));
          record("tenancy")(await operator.patch(`/tenancies/brief${i}`, { repositoryLimit: 3 }));
          record("tenancy")(await operator.delete(`/tenancies/brief${i}`));
        })(),
      );
      clients.push(admin.patch("/tenancies/busy", { description: `d${i}` }).then(record("tenancy")));
    }
    // Repositories through the API and by first pushes, racing for the limit of 6.
    for (let i = 0; i < 6; i++) {
      clients.push(
        (async () => {
          const r = await admin.post("/repositories", { name: `busy/api-${i}` });
          record("repository")(r);
          if (r.status !== 201) return;
          record("visibility")(await admin.patch(`/repositories/busy%2Fapi-${i}`, { isPublic: true }));
        })(),
      );
      clients.push(push(registry, `busy/pushed-${i}`, basic("busy/boss", created.body.data.token)).then((a) => answers.push(a)));
    }
    // The same name created by several clients at once: one wins, the others hear it exists.
    for (let i = 0; i < 4; i++) {
      clients.push(admin.post("/tenancies/busy/users", { name: "twin" }).then(record("same user")));
      clients.push(admin.post("/tenancies/busy/groups", { name: "TWINS" }).then(record("same group")));
      clients.push(admin.post("/tenancies/busy/policies", { name: "twin", statements: ["Allow group DEVS to read repos in tenancy"] }).then(record("same policy")));
      clients.push(operator.post("/tenancies", { namespace: "twin" }).then(record("same tenancy")));
    }
    await Promise.all(clients);
    for (const what of ["same user", "same group", "same policy", "same tenancy"]) {
      const same = answers.filter((a) => a.what === what);
      assert.deepEqual(same.map((a) => a.status).sort(), [201, 409, 409, 409], `${what}: ${JSON.stringify(same.map((a) => a.body))}`);
    }

    const failed = answers.filter((a) => a.status >= 500);
    assert.deepEqual(failed, [], "no request failed with a 5xx");
    assert.doesNotMatch(registry.output(), /database is locked|SQLITE_BUSY|write lock/);
    for (const user of ["dev", "ops"]) {
      assert.equal(answers.filter((a) => a.what === `token ${user}` && a.status === 201).length, 2, `two tokens for ${user}, no more`);
      assert.equal((await admin.get(`/tenancies/busy/users/${user}/auth-tokens`)).body.data.length, 2);
    }
    for (const a of answers.filter((a) => a.what.startsWith("token") && a.status !== 201)) assert.equal(a.status, 409);
    const repositories = (await admin.get("/tenancies/busy/repositories")).body.data;
    assert.equal(repositories.length, 6, "the repository limit of 6 holds");
    const made = answers.filter((a) => (a.what === "repository" && a.status === 201) || (a.what.startsWith("push") && a.status === 201));
    assert.equal(made.length, 6);
    for (const a of answers.filter((a) => !/^(token|repository|push|same)/.test(a.what))) {
      assert.ok(a.status < 300, `${a.what}: ${a.status} ${JSON.stringify(a.body)}`);
    }
    // Repository refusals: the admin API says 409 "limit", pushes 403 DENIED.
    for (const a of answers.filter((a) => a.what === "repository" && a.status !== 201)) assert.equal(a.status, 409);
    assertRefusedAtLimit(answers.filter((a) => a.what.startsWith("push")), "busy", 6);
  });

  it("a tenancy deleted while its first pushes race never leaves repositories behind", async () => {
    const created = await operator.post("/tenancies", { namespace: "fleeting", adminUser: "boss" });
    expectStatus(created, 201, "tenancy");
    const boss = basic("fleeting/boss", created.body.data.token);
    const [deleted, ...pushes] = await Promise.all([
      new Promise((r) => setTimeout(r, 5)).then(() => operator.delete("/tenancies/fleeting")),
      ...Array.from({ length: 3 }, (_, i) => push(registry, `fleeting/app-${i}`, boss)),
    ]);
    for (const p of pushes as Answer[]) assert.ok(p.status < 500, `${p.what}: ${p.status} ${JSON.stringify(p.body)}`);
    // Tenancy walls hide a tenancy's repositories from the operator: count them in the database.
    const remaining = () => {
      const db = new Sqlite(join(registry.root, "berth.db"), { readonly: true });
      try {
        return (db.prepare("select count(*) as n from repositories where name > 'fleeting/' and name < 'fleeting0'").get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    if ((deleted as { status: number }).status === 204) {
      expectStatus(await operator.get("/tenancies/fleeting"), 404, "deleted");
      if (registry.metadataEnv.BERTH_METADATA_DRIVER !== "postgres") assert.equal(remaining(), 0, "no repository outlives its tenancy");
    } else {
      expectStatus(deleted as { status: number; body: unknown; headers: Headers }, 409, "refused: it holds repositories");
      const listed = await api(registry, "fleeting/boss", created.body.data.token).get("/tenancies/fleeting/repositories");
      assert.ok(listed.body.data.length > 0, `its administrator sees them: ${JSON.stringify(listed.body)}`);
    }
  });

  it("a write that cannot get the database's write lock in time answers 503 with Retry-After, and the log names the lock", async (t) => {
    if (registry.metadataEnv.BERTH_METADATA_DRIVER === "postgres") return t.skip("SQLite's write lock; PostgreSQL locks rows");
    const path = join(registry.root, "berth.db");
    const other = new Sqlite(path); // an offline CLI, say, stuck in the middle of a write
    other.prepare("begin immediate").run();
    let answer: Response;
    try {
      answer = await fetch(`${registry.url}/api/v1/tenancies/berth/users`, {
        method: "POST",
        headers: { Authorization: basic(OPERATOR, registry.operatorToken), "Content-Type": "application/json" },
        body: JSON.stringify({ name: "patient" }),
      });
    } finally {
      other.prepare("rollback").run();
      other.close();
    }
    assert.equal(answer.status, 503);
    assert.equal(answer.headers.get("retry-after"), "1");
    const body = (await answer.json()) as { errors: { code: string; message: string }[] };
    assert.equal(body.errors[0]!.code, "UNAVAILABLE");
    assert.match(body.errors[0]!.message, /metadata database is busy; try again shortly/);
    // The log line may reach us a little after the response.
    const logged = `metadata database ${path}: another process held the write lock for over 5000 ms; gave up on`;
    for (const deadline = Date.now() + 3000; !registry.output().includes(logged) && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
    assert.ok(registry.output().includes(logged), "the log names the database and the statement");
    expectStatus(await operator.post("/tenancies/berth/users", { name: "patient" }), 201, "the same request once the lock is free");
  });
});

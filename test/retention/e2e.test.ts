// Retention as a tenancy meets it, with skopeo against a real `berth serve` (auth on, the job every
// 200 ms), on filesystem + SQLite and on S3 + PostgreSQL: push images, age them in the database, set
// the global policy; the job waits out the cooling period, then deletes exactly what the preview
// listed; the rest still pulls, and the audit log says which policy deleted what and why.
import assert from "node:assert/strict";
import { join } from "node:path";
import Sqlite from "better-sqlite3";
import { test, type TestContext } from "node:test";
import pg from "pg";
import { containersEnv, makeScratch, removeScratch } from "../fixtures/clients.js";
import { pushLayout } from "../fixtures/distribution.js";
import { buildRandomLayout } from "../fixtures/oci-layout.js";
import { newDatabase, postgresAvailable } from "../helpers/postgres.js";
import { s3StorageEnv } from "../helpers/registry.js";
import { s3ForTests } from "../helpers/rgw.js";
import { needTools } from "../helpers/tools.js";
import { createBucket } from "../storage/s3-support.js";
import { until } from "../helpers/until.js";
import { api, basic, call, OPERATOR, startAuthRegistry } from "../iam/support.js";

const DAY = 86_400_000;

/** One statement on the registry's metadata database, behind its back (`?` placeholders). */
interface Database {
  exec(sqlText: string, params: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

async function retentionEndToEnd(t: TestContext, env: Record<string, string>, openDb: (root: string) => Promise<Database>): Promise<void> {
  if (!needTools(t, "skopeo")) return;
  const scratch = await makeScratch();
  const registry = await startAuthRegistry({ BERTH_RETENTION_INTERVAL: "200ms", ...env });
  const db = await openDb(registry.root);
  t.after(async () => {
    await db.close();
    await registry.close();
    await removeScratch(scratch);
  });
  const operator = api(registry, OPERATOR, registry.operatorToken);
  const created = await operator.post("/tenancies", { namespace: "team", adminUser: "lead" });
  assert.equal(created.status, 201);
  const secret = created.body.data.token as string;
  const admin = api(registry, "team/lead", secret);
  const c = await containersEnv(scratch);
  const creds = `team/lead:${secret}`;

  const digests: Record<string, string> = {};
  for (const tag of ["old", "kept-1", "new"]) {
    const image = await buildRandomLayout(join(scratch, tag), { tag: "v1", layers: 1, layerSize: 16 * 1024 });
    await pushLayout(c, image.dir, "v1", `${registry.host}/team/app:${tag}`, ["--dest-creds", creds]);
    digests[tag] = image.manifestDigest;
  }
  // Forty days old, never pulled: "old" and "kept-1" (exempt by its tag); "new" was just pushed.
  const longAgo = Date.now() - 40 * DAY;
  for (const tag of ["old", "kept-1"]) await db.exec("update manifests set pushed_at = ? where digest = ?", [longAgo, digests[tag]]);

  const put = await call(`${registry.url}/api/v1/tenancies/team/retention/global`, {
    method: "PUT",
    headers: { Authorization: basic("team/lead", secret) },
    json: { notPulledForDays: 30, exemptTags: ["kept-*"] },
  });
  assert.equal(put.status, 200);
  const changedAt = Date.parse(put.body.data.changedAt);
  const preview = (await admin.get("/tenancies/team/retention/preview")).body.data;
  assert.equal(preview.policies[0].inEffect, false);
  assert.deepEqual(preview.policies[0].deletions, [{ repository: "team/app", digest: digests.old, tags: ["old"], reasons: ["not-pulled"] }]);

  // A run that ends after the change deletes nothing: the policy is cooling.
  const nextRun = async () => Number((await db.exec("select next_run_at from jobs where name = 'retention'", []))[0]?.next_run_at ?? 0);
  await until("a retention run after the policy changed", async () => ((await nextRun()) > changedAt ? true : undefined), 20_000);
  const listed = async () => ((await admin.get("/repositories/team%2Fapp/images")).body.data as { digest: string }[]).map((i) => i.digest).sort();
  assert.deepEqual(await listed(), Object.values(digests).sort(), "nothing deleted while cooling");

  // The cooling period over (moved back in the database), the next run deletes what the preview listed.
  await db.exec("update retention_policies set changed_at = ? where tenancy = 'team'", [Date.now() - DAY - 60_000]);
  type Event = { actor: string; action: string; target: string; detail: string | null };
  const event = await until("the retention deletion in the audit log", async () => {
    const events = (await admin.get("/tenancies/team/audit?limit=100")).body.data as Event[];
    return events.find((e) => e.action === "RetentionDeleteImage");
  }, 20_000);
  assert.equal(event.actor, "retention-policy:global");
  assert.equal(event.target, `team/app@${digests.old}`);
  assert.deepEqual(JSON.parse(event.detail!), { tags: ["old"], reasons: ["not-pulled"] });
  assert.deepEqual(await listed(), [digests["kept-1"], digests.new].sort());

  const inspect = (tag: string) => c.run("skopeo", ["inspect", "--tls-verify=false", "--creds", creds, `docker://${registry.host}/team/app:${tag}`]);
  await assert.rejects(inspect("old"), "the deleted image no longer pulls");
  for (const tag of ["kept-1", "new"]) assert.equal((JSON.parse((await inspect(tag)).stdout) as { Digest: string }).Digest, digests[tag]);
}

test("retention end to end with skopeo on filesystem + SQLite: cooling respected, then preview = deletions, the rest pullable, audited", { timeout: 120_000 }, async (t) => {
  await retentionEndToEnd(t, { BERTH_STORAGE_DRIVER: "filesystem" }, async (root) => {
    const db = new Sqlite(join(root, "berth.db"));
    return {
      exec: async (text, params) => (/^\s*select/i.test(text) ? (db.prepare(text).all(...params) as Record<string, unknown>[]) : (db.prepare(text).run(...params), [])),
      close: async () => {
        db.close();
      },
    };
  });
});

const gateway = process.env.BERTH_TEST_S3_ENDPOINT ? await s3ForTests() : undefined;
const skip = !gateway ? "no S3 gateway given (BERTH_TEST_S3_ENDPOINT)" : !postgresAvailable ? "PostgreSQL is not installed" : false;
test("retention end to end with skopeo on S3 + PostgreSQL", { skip, timeout: 120_000 }, async (t) => {
  const url = await newDatabase();
  const env = { ...s3StorageEnv(gateway!, await createBucket(gateway!)), BERTH_METADATA_DRIVER: "postgres", BERTH_METADATA_POSTGRES_URL: url };
  await retentionEndToEnd(t, env, async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return {
      exec: async (text, params) => {
        let n = 0;
        return (await client.query(text.replace(/\?/g, () => `$${++n}`), params)).rows;
      },
      close: () => client.end(),
    };
  });
});

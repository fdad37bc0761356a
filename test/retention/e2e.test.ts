// Retention as a tenancy meets it, with skopeo against a real `berth serve` (auth on, the job every
// 200 ms): push images, age them in the database, set the global policy; the job waits out the
// cooling period, then deletes exactly what the preview listed; the rest still pulls, and the
// tenancy's audit log says which policy deleted what and why.
import assert from "node:assert/strict";
import { join } from "node:path";
import Sqlite from "better-sqlite3";
import { test } from "node:test";
import { containersEnv, makeScratch, removeScratch } from "../fixtures/clients.js";
import { pushLayout } from "../fixtures/distribution.js";
import { buildRandomLayout } from "../fixtures/oci-layout.js";
import { needTools } from "../helpers/tools.js";
import { until } from "../helpers/until.js";
import { api, basic, call, OPERATOR, startAuthRegistry } from "../iam/support.js";

const DAY = 86_400_000;

test("retention end to end with skopeo: cooling respected, then preview = deletions, the rest pullable, audited", { timeout: 120_000 }, async (t) => {
  if (!needTools(t, "skopeo")) return;
  const scratch = await makeScratch();
  const registry = await startAuthRegistry({ BERTH_RETENTION_INTERVAL: "200ms" });
  const db = new Sqlite(join(registry.root, "berth.db"));
  t.after(async () => {
    db.close();
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
  for (const tag of ["old", "kept-1"]) db.prepare("update manifests set pushed_at = ? where digest = ?").run(longAgo, digests[tag]);

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
  const nextRun = () => (db.prepare("select next_run_at from jobs where name = 'retention'").get() as { next_run_at: number } | undefined)?.next_run_at ?? 0;
  await until("a retention run after the policy changed", async () => (nextRun() > changedAt ? true : undefined), 20_000);
  const listed = async () => ((await admin.get("/repositories/team%2Fapp/images")).body.data as { digest: string }[]).map((i) => i.digest).sort();
  assert.deepEqual(await listed(), Object.values(digests).sort(), "nothing deleted while cooling");

  // The cooling period over (moved back in the database), the next run deletes what the preview listed.
  db.prepare("update retention_policies set changed_at = ? where tenancy = 'team'").run(Date.now() - DAY - 60_000);
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
});

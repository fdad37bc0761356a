// The retention run on a clock the test controls, in-process over the real services (filesystem
// with SQLite, and with PostgreSQL): which images each rule selects, the cooling period, overrides,
// the audit, and that the preview lists exactly what the run then deletes.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Sqlite from "better-sqlite3";
import pg from "pg";
import { after, before, describe, it } from "node:test";
import pino from "pino";
import { loadConfig } from "../../src/config/config.js";
import { LOCAL_OPERATOR } from "../../src/iam/principal.js";
import { JobRunner } from "../../src/jobs/runner.js";
import { applyRetention } from "../../src/lifecycle/retention.js";
import { retentionDeps, retentionJobOf } from "../../src/lifecycle/retention-job.js";
import { assemble, type App } from "../../src/server/assemble.js";
import { newDatabase, postgresAvailable } from "../helpers/postgres.js";
import { descriptorOf, makeArtifact, makeImage, makeIndex, type Manifest } from "../protocol/support.js";

const DAY = 86_400_000;
const log = pino({ level: "silent" });

/** Runs one statement on the registry's metadata database, behind the store's back (`?` placeholders). */
type Exec = (sqlText: string, params: unknown[]) => Promise<unknown[]>;

const backends: { name: string; skip: string | false; open(root: string): Promise<{ flags: Record<string, string>; exec: Exec; close(): Promise<void> }> }[] = [
  {
    name: "SQLite",
    skip: false,
    async open(root) {
      const flags = { "storage.filesystem.rootdirectory": root };
      const db = new Sqlite(join(root, "berth.db"));
      const exec: Exec = async (text, params) => (/^\s*select/i.test(text) ? db.prepare(text).all(...params) : (db.prepare(text).run(...params), []));
      return {
        flags,
        exec,
        close: async () => {
          db.close();
        },
      };
    },
  },
  {
    name: "PostgreSQL",
    skip: postgresAvailable ? false : "PostgreSQL is not installed",
    async open(root) {
      const url = await newDatabase();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const exec: Exec = async (text, params) => {
        let n = 0;
        return (await client.query(text.replace(/\?/g, () => `$${++n}`), params)).rows;
      };
      const flags = { "storage.filesystem.rootdirectory": root, "metadata.driver": "postgres", "metadata.postgres.url": url };
      return { flags, exec, close: () => client.end() };
    },
  },
];

for (const backend of backends) {
  describe(`retention run on ${backend.name}`, { skip: backend.skip }, () => {
    let root: string;
    let app: App;
    let exec: Exec;
    let closeDb: () => Promise<void>;

    before(async () => {
      root = await mkdtemp(join(tmpdir(), "berth-retention-"));
      const opened = await backend.open(root);
      const config = loadConfig({ env: {}, flags: opened.flags });
      app = await assemble(config, log);
      exec = opened.exec;
      closeDb = opened.close;
    });

    after(async () => {
      await closeDb();
      await app.close();
      await rm(root, { recursive: true, force: true });
    });

    async function push(repository: string, manifest: Manifest, reference: string = manifest.digest): Promise<void> {
      for (const blob of manifest.blobs) {
        await app.registry.uploads.putWhole(
          repository,
          blob.digest,
          (async function* () {
            yield blob.data;
          })(),
        );
      }
      await app.registry.manifests.put(repository, reference, manifest.bytes, manifest.mediaType);
    }

    /** Moves an image's facts back in time, as days before `base`. */
    async function age(repository: string, digest: string, base: number, facts: { pushed?: number; pulled?: number; untagged?: number }): Promise<void> {
      const set = (column: string, days: number) => exec(`update manifests set ${column} = ? where repository = ? and digest = ?`, [base - days * DAY, repository, digest]);
      if (facts.pushed !== undefined) await set("pushed_at", facts.pushed);
      if (facts.pulled !== undefined) await set("last_pulled_at", facts.pulled);
      if (facts.untagged !== undefined) await set("untagged_since", facts.untagged);
    }

    const digestsOf = (plan: { deletions: { digest: string }[] }) => plan.deletions.map((d) => d.digest).sort();

    it("selects by each rule, leaves index children and referrers out, waits out the cooling period, and deletes what the preview listed", async () => {
      const ns = "ret1";
      await app.admin.tenancies.create(LOCAL_OPERATOR, { namespace: ns });
      const repo = `${ns}/app`;
      const stale = makeImage();
      const released = makeImage();
      const loose = makeImage();
      const fresh = makeImage();
      const child = makeImage();
      const index = makeIndex([child]);
      const child2 = makeImage();
      const oldIndex = makeIndex([child2, child]);
      await push(repo, stale, "v1");
      await push(repo, released, "release-1");
      await push(repo, loose);
      await push(repo, fresh, "v4");
      await push(repo, child);
      await push(repo, index, "multi");
      await push(repo, child2);
      await push(repo, oldIndex, "oldmulti");
      const referrer = makeArtifact({ subject: descriptorOf(stale) });
      await push(repo, referrer);
      const base = Date.now();
      await age(repo, stale.digest, base, { pushed: 60, pulled: 25 });
      await age(repo, released.digest, base, { pushed: 60 });
      await age(repo, loose.digest, base, { pushed: 10, untagged: 10 });
      await age(repo, child.digest, base, { pushed: 60, untagged: 60 });
      await age(repo, referrer.digest, base, { pushed: 60, untagged: 60 });
      await age(repo, oldIndex.digest, base, { pushed: 60 });

      const policy = await app.admin.retention.updateGlobal(LOCAL_OPERATOR, ns, { notPulledForDays: 20, untaggedForDays: 7, exemptTags: ["release-*"] });
      assert.equal(policy.effectiveAt, policy.changedAt! + DAY, "the default cooling period is 24 h");

      const preview = await app.admin.retention.preview(LOCAL_OPERATOR, ns);
      assert.equal(preview.policies.length, 1);
      const global = preview.policies[0]!;
      assert.equal(global.inEffect, false);
      // The old index goes, and with it the child only it lists; the child the kept index lists too stays.
      assert.deepEqual(digestsOf(global), [stale.digest, loose.digest, oldIndex.digest, child2.digest].sort());
      assert.deepEqual(global.deletions.find((d) => d.digest === child2.digest)!.reasons, ["index-deleted"]);
      assert.deepEqual(global.deletions.find((d) => d.digest === stale.digest), { repository: repo, digest: stale.digest, tags: ["v1"], reasons: ["not-pulled"] });
      assert.deepEqual(global.deletions.find((d) => d.digest === loose.digest)!.reasons, ["untagged"]);

      // An hour after the change the policy is still cooling: nothing goes.
      let clock = base + 3_600_000;
      const deps = retentionDeps(app, log, () => clock);
      assert.deepEqual((await applyRetention(deps)).deleted, []);
      assert.ok(await app.meta.getManifest(repo, stale.digest));

      // Past the cooling period it deletes exactly what the preview listed (the facts are unchanged).
      clock = base + DAY + 60_000;
      const { deleted } = await applyRetention(deps);
      assert.deepEqual(digestsOf({ deletions: deleted }), digestsOf(global));
      assert.equal(await app.meta.getManifest(repo, stale.digest), undefined);
      assert.equal(await app.meta.resolveTag(repo, "v1"), undefined, "its tags went with it");
      for (const kept of [released, fresh, child, index, referrer]) assert.ok(await app.meta.getManifest(repo, kept.digest), `${kept.digest} kept`);

      const events = await app.admin.audit(LOCAL_OPERATOR, ns, 100);
      const deletions = events.filter((e) => e.action === "RetentionDeleteImage");
      assert.equal(deletions.length, 4);
      const staleEvent = deletions.find((e) => e.target === `${repo}@${stale.digest}`)!;
      assert.equal(staleEvent.actor, "retention-policy:global");
      assert.equal(staleEvent.tenancy, ns);
      assert.deepEqual(JSON.parse(staleEvent.detail!), { tags: ["v1"], reasons: ["not-pulled"] });

      // A second run finds nothing more to do.
      assert.deepEqual((await applyRetention(deps)).deleted, []);
    });

    it("an override governs its repositories instead of the global policy; other tenancies are untouched", async () => {
      const ns = "ret2";
      await app.admin.tenancies.create(LOCAL_OPERATOR, { namespace: ns });
      await app.admin.tenancies.create(LOCAL_OPERATOR, { namespace: "ret2other" });
      const images = [makeImage(), makeImage(), makeImage()];
      const base = Date.now();
      for (const [i, image] of images.entries()) {
        for (const repo of [`${ns}/ci`, `${ns}/web`, "ret2other/ci"]) {
          await push(repo, image, `b${i}`);
          await age(repo, image.digest, base, { pushed: 10 - i });
        }
      }
      await app.admin.retention.updateGlobal(LOCAL_OPERATOR, ns, { keepNewest: 2 });
      await app.admin.retention.create(LOCAL_OPERATOR, ns, { name: "ci", rules: { keepNewest: 1, exemptTags: ["b0"] }, repositories: [`${ns}/ci`] });
      await assert.rejects(app.admin.retention.addRepository(LOCAL_OPERATOR, ns, "ci", "ret2other/ci"), /not in tenancy/);

      const clock = base + 2 * DAY;
      const preview = await app.admin.retention.preview(LOCAL_OPERATOR, ns, "ci");
      assert.deepEqual(preview.policies.map((p) => p.name), ["ci"]);
      const { deleted } = await applyRetention(retentionDeps(app, log, () => clock));
      assert.deepEqual(
        deleted.map((d) => `${d.repository}:${d.tags.join(",")}:${d.reasons.join(",")}`).sort(),
        [`${ns}/ci:b1:beyond-newest`, `${ns}/web:b0:beyond-newest`],
        "ci keeps its newest (b2) and the exempt b0; web keeps the newest two",
      );
      assert.equal((await app.meta.retentionImages("ret2other/ci")).length, 3);
    });

    it("an image pulled after the preview is spared: the run looks at its repository again", async () => {
      const ns = "ret3";
      await app.admin.tenancies.create(LOCAL_OPERATOR, { namespace: ns });
      const repo = `${ns}/app`;
      const [a, b] = [makeImage(), makeImage()];
      await push(repo, a, "a");
      await push(repo, b, "b");
      const base = Date.now();
      for (const image of [a, b]) await age(repo, image.digest, base, { pushed: 40 });
      await app.admin.retention.updateGlobal(LOCAL_OPERATOR, ns, { notPulledForDays: 30 });
      const preview = await app.admin.retention.preview(LOCAL_OPERATOR, ns);
      assert.deepEqual(digestsOf(preview.policies[0]!), [a.digest, b.digest].sort());
      const clock = base + DAY + 60_000;
      await app.meta.recordPulls([{ repository: repo, digest: a.digest, at: clock - 1000, count: 1 }]);
      const { deleted } = await applyRetention(retentionDeps(app, log, () => clock));
      assert.deepEqual(digestsOf({ deletions: deleted }), [b.digest]);
      assert.ok(await app.meta.getManifest(repo, a.digest));
    });

    it("a tagged image of a repository whose tags are immutable is kept; the run goes on with the others", async () => {
      const ns = "ret4";
      await app.admin.tenancies.create(LOCAL_OPERATOR, { namespace: ns });
      const [locked, loose] = [`${ns}/locked`, `${ns}/loose`];
      const [a, b] = [makeImage(), makeImage()];
      await push(locked, a, "v1");
      await push(loose, b, "v1");
      await app.iam.setRepositoryImmutableTags(locked, true);
      const base = Date.now();
      await age(locked, a.digest, base, { pushed: 40 });
      await age(loose, b.digest, base, { pushed: 40 });
      await app.admin.retention.updateGlobal(LOCAL_OPERATOR, ns, { notPulledForDays: 30 });
      const { deleted } = await applyRetention(retentionDeps(app, log, () => base + DAY + 60_000));
      assert.deepEqual(deleted.map((d) => d.repository), [loose]);
      assert.ok(await app.meta.getManifest(locked, a.digest), "the immutable tag's image stays");
    });

    it("runs as the leased job `retention`, once per interval across processes", async () => {
      const runner = new JobRunner(app.jobs, log, { lease: 60_000, poll: 60_000 });
      const job = retentionJobOf(app, log);
      assert.equal(job.name, "retention");
      assert.equal(job.interval, 3_600_000);
      await runner.tryRun(job);
      const [row] = (await exec("select next_run_at, holder from jobs where name = 'retention'", [])) as { next_run_at: number | string; holder: string | null }[];
      assert.equal(row!.holder, null, "released after the run");
      assert.ok(Number(row!.next_run_at) > Date.now() + 3_500_000, "due again an interval later");
      await runner.stop();
    });
  });
}

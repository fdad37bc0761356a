// A registry from before retention: migration 0011_retention starts the "untagged for N days"
// count of its untagged manifests at the upgrade (since when they were untagged is unknown).
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Sqlite from "better-sqlite3";
import { after, it } from "node:test";
import { manifestRecord } from "../metadata/records.js";
import { openSqliteStore } from "../../src/metadata/sqlite.js";

const D = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;
const dir = await mkdtemp(join(tmpdir(), "berth-retention-migration-"));
after(() => rm(dir, { recursive: true, force: true }));

it("0011_retention: untagged manifests count as untagged from the upgrade, tagged ones not at all", async () => {
  const path = join(dir, "meta.db");
  const store = await openSqliteStore(path);
  const manifest = (digest: string) => manifestRecord("t/app", digest, { pushedAt: 100 });
  await store.putManifest(manifest(D(1)), [], "v1");
  await store.putManifest(manifest(D(2)), []);
  await store.close();
  const raw = new Sqlite(path);
  // Later migrations go too: the migrator replays them in order after 0011.
  raw.exec(`drop table retention_policies; drop table retention_repositories; alter table manifests drop column untagged_since;
    drop table usage_daily; alter table tenancies drop column storage_quota; alter table repositories drop column immutable_tags;
    drop table job_runs; alter table manifests drop column pushed_by; delete from kysely_migration where name >= '0011_retention'`);
  raw.close();

  const before = Date.now();
  const upgraded = await openSqliteStore(path);
  const images = new Map((await upgraded.retentionImages("t/app")).map((i) => [i.digest, i]));
  assert.equal(images.get(D(1))!.untaggedSince, null);
  assert.ok(images.get(D(2))!.untaggedSince! >= before, "counted from the upgrade, not from the push");
  await upgraded.close();
});

it("0014_pushed_by: manifests pushed before it have no pusher; new pushes record theirs", async () => {
  const path = join(dir, "pushed-by.db");
  const store = await openSqliteStore(path);
  const manifest = (digest: string, pushedBy?: string) => manifestRecord("t/app", digest, { pushedAt: 100, pushedBy });
  await store.putManifest(manifest(D(1)), [], "v1");
  await store.close();
  const raw = new Sqlite(path);
  raw.exec(`alter table manifests drop column pushed_by; delete from kysely_migration where name >= '0014_pushed_by'`);
  raw.close();

  const upgraded = await openSqliteStore(path);
  assert.equal((await upgraded.getManifest("t/app", D(1)))?.pushedBy, null);
  await upgraded.putManifest(manifest(D(2), "t/ann"), [], "v2");
  assert.equal((await upgraded.getManifest("t/app", D(2)))?.pushedBy, "t/ann");
  await upgraded.close();
});

// A registry from before the blob model: migration 0010_blobs records every blob its repositories
// link, so the first collection after the upgrade sees them all.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Sqlite from "better-sqlite3";
import { after, it } from "node:test";
import { openSqliteStore } from "../../src/metadata/sqlite.js";

const D = (n: number) => `sha256:${n.toString(16).padStart(64, "0")}`;

const dir = await mkdtemp(join(tmpdir(), "berth-migration-"));
after(() => rm(dir, { recursive: true, force: true }));

/** A database at the latest schema where repository a links D(1) (at 100) and D(2) (200), b links D(1) (300). */
async function linkThree(path: string): Promise<void> {
  const store = await openSqliteStore(path);
  await store.linkBlob("a", D(1), 10, 100);
  await store.linkBlob("b", D(1), 10, 300);
  await store.linkBlob("a", D(2), 20, 200);
  await store.close();
}

it("0010_blobs backfills one record per linked digest: first link as created, last as linked", async () => {
  const path = join(dir, "meta.db");
  await linkThree(path);
  // Back to the schema of a Berth before the blob model, links kept (later migrations undone too:
  // the migrator applies them in order only).
  const raw = new Sqlite(path);
  raw.exec(`drop table blobs; drop table blob_holds; drop index manifest_refs_child_any; drop table job_runs;
    drop table retention_policies; drop table retention_repositories; alter table manifests drop column untagged_since;
    drop table usage_daily; alter table tenancies drop column storage_quota; alter table repositories drop column immutable_tags;
    alter table manifests drop column pushed_by;
    delete from kysely_migration where name >= '0010_blobs'`);
  raw.close();

  const upgraded = await openSqliteStore(path);
  assert.deepEqual(await upgraded.getBlob(D(1)), { digest: D(1), size: 10, createdAt: 100, linkedAt: 300, claimed: false });
  assert.deepEqual(await upgraded.getBlob(D(2)), { digest: D(2), size: 20, createdAt: 200, linkedAt: 200, claimed: false });
  assert.deepEqual((await upgraded.unreferencedBlobs(1000, undefined, 10)).map((b) => b.digest), [D(1), D(2)]);
  await upgraded.close();
});

it("0015_blobs_by_digest keeps every blob record and link while it rebuilds their tables", async () => {
  const path = join(dir, "rowid.db");
  await linkThree(path);
  // Back to the tables of 0010: rowid tables and the last-link index.
  const raw = new Sqlite(path);
  raw.exec(`create table blobs_old (digest text primary key, size bigint not null, created_at bigint not null, linked_at bigint not null, claimed_by text, claimed_at bigint);
    insert into blobs_old select digest, size, created_at, linked_at, claimed_by, claimed_at from blobs; drop table blobs;
    alter table blobs_old rename to blobs; create index blobs_linked on blobs (linked_at);
    create table repo_blobs_old (repository text not null, digest text not null, size bigint not null, created_at bigint not null, constraint repo_blobs_pk primary key (repository, digest));
    insert into repo_blobs_old select repository, digest, size, created_at from repo_blobs; drop table repo_blobs;
    alter table repo_blobs_old rename to repo_blobs; create index repo_blobs_digest on repo_blobs (digest);
    delete from kysely_migration where name >= '0015_blobs_by_digest'`);
  raw.close();

  const upgraded = await openSqliteStore(path);
  assert.deepEqual(await upgraded.getBlob(D(1)), { digest: D(1), size: 10, createdAt: 100, linkedAt: 300, claimed: false });
  assert.deepEqual(await upgraded.repositoriesWithBlob(D(1), 10), ["a", "b"]);
  assert.equal(await upgraded.linkedBlobSize("a", D(2)), 20);
  await upgraded.close();
  const check = new Sqlite(path, { readonly: true });
  const tables = check.prepare("select name, sql from sqlite_master where type = 'table' and name in ('blobs', 'repo_blobs') order by name").all() as { name: string; sql: string }[];
  assert.deepEqual(tables.map((t) => [t.name, /without rowid/i.test(t.sql)]), [["blobs", true], ["repo_blobs", true]]);
  assert.equal(check.prepare("select count(*) from sqlite_master where name = 'blobs_linked'").pluck().get(), 0);
  check.close();
});

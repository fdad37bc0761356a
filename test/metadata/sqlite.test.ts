import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Sqlite from "better-sqlite3";
import { after, it } from "node:test";
import { openSqliteStore, openSqliteStores } from "../../src/metadata/sqlite.js";
import { PullRecorder } from "../../src/registry/pulls.js";
import { iamStoreSuite } from "./iam-suite.js";
import { concurrentWritersSuite, metadataStoreSuite } from "./store-suite.js";
import { manifestRecord } from "./records.js";
import { usageSuite } from "./usage-suite.js";

metadataStoreSuite("sqlite (in memory)", () => openSqliteStore(":memory:"));
iamStoreSuite("sqlite (in memory)", () => openSqliteStores(":memory:", { repositoryLimits: true }));

const dir = await mkdtemp(join(tmpdir(), "berth-sqlite-"));
after(() => rm(dir, { recursive: true, force: true }));

it("sqlite: data survives reopening the file and migrations are idempotent", async () => {
  const path = join(dir, "meta.db");
  const first = await openSqliteStore(path);
  await first.linkBlob("r", `sha256:${"a".repeat(64)}`, 7, 1);
  await first.close();
  const second = await openSqliteStore(path);
  assert.equal(await second.linkedBlobSize("r", `sha256:${"a".repeat(64)}`), 7);
  await second.close();
});

it("sqlite: a manifest read again sees tags moved or deleted by another connection and by its own", async () => {
  // Two stores on one file stand for two serving processes; each keeps manifests it read.
  const path = join(dir, "shared.db");
  const a = await openSqliteStore(path);
  const b = await openSqliteStore(path);
  const digest = (n: number) => `sha256:${String(n).repeat(64)}`;
  const manifest = (n: number) => manifestRecord("team/app", digest(n), { pushedAt: n });
  await a.putManifest(manifest(1), [], "latest");
  for (let i = 0; i < 2; i++) assert.equal((await a.getTaggedManifest("team/app", "latest"))?.digest, digest(1));
  await b.putManifest(manifest(2), [], "latest");
  assert.equal((await a.getTaggedManifest("team/app", "latest"))?.digest, digest(2), "moved by the other connection");
  assert.equal((await b.getTaggedManifest("team/app", "latest"))?.digest, digest(2));
  await a.putManifest(manifest(3), [], "latest");
  assert.equal((await a.getTaggedManifest("team/app", "latest"))?.digest, digest(3), "moved by its own connection");
  assert.equal((await b.getTaggedManifest("team/app", "latest"))?.digest, digest(3));
  assert.equal((await b.getManifest("team/app", digest(3)))?.digest, digest(3));
  assert.ok(await a.deleteManifest("team/app", digest(3)));
  assert.equal(await b.getTaggedManifest("team/app", "latest"), undefined, "deleted by the other connection");
  assert.equal(await b.getManifest("team/app", digest(3)), undefined);
  assert.equal(await a.getManifest("team/app", digest(3)), undefined);
  await a.close();
  await b.close();
});

it("sqlite: an auth token deleted by one connection stops existing for another at once", async () => {
  // Two processes; each remembers which tokens it found while the database is unchanged.
  const path = join(dir, "tokens.db");
  const a = await openSqliteStores(path);
  const b = await openSqliteStores(path);
  await a.iam.createTenancy({ namespace: "team", description: "", repositoryLimit: 10, createdAt: 1 });
  await a.iam.createUser({ id: "u1", tenancy: "team", name: "ann", description: "", createdAt: 1 });
  const token = (id: string) => ({ id, userId: "u1", description: "", hash: id.repeat(8), createdAt: 1, lastUsedAt: null });
  assert.equal(await b.iam.authTokenExists("t1"), false);
  assert.ok(await a.iam.createAuthToken(token("t1"), 2));
  for (let i = 0; i < 2; i++) assert.equal(await b.iam.authTokenExists("t1"), true, "created by the other connection");
  assert.ok(await a.iam.deleteAuthToken("u1", "t1"));
  assert.equal(await b.iam.authTokenExists("t1"), false, "deleted by the other connection");
  assert.ok(await b.iam.createAuthToken(token("t2"), 2));
  assert.equal(await b.iam.authTokenExists("t2"), true);
  assert.ok(await b.iam.deleteAuthToken("u1", "t2"));
  assert.equal(await b.iam.authTokenExists("t2"), false, "deleted by its own connection");
  await a.meta.close();
  await b.meta.close();
});

it("sqlite: a write waiting for another process's write lock leaves the event loop free", async () => {
  const path = join(dir, "locked.db");
  const store = await openSqliteStore(path);
  const blob = `sha256:${"b".repeat(64)}`;
  await store.createUpload({ id: "u1", repository: "team/app", createdAt: 1, updatedAt: 1 });
  // Another serving process, in the middle of a write transaction.
  const other = new Sqlite(path);
  other.prepare("begin immediate").run();
  const link = store.linkBlob("team/app", blob, 7, 2); // a transaction of several statements
  const lease = store.leaseUpload("u1", 2, 100); // one statement that writes and returns a row
  let settled = false;
  void Promise.allSettled([link, lease]).then(() => (settled = true));
  // Had SQLite slept this thread until the lock came free, no timer could run meanwhile.
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 1);
  await new Promise((resolve) => setTimeout(resolve, 60));
  clearInterval(ticker);
  assert.ok(ticks >= 5, `the event loop ran ${ticks} timers while the writes waited`);
  assert.equal(settled, false, "the writes wait for the lock");
  other.prepare("commit").run();
  other.close();
  await link;
  assert.equal((await lease)?.repository, "team/app");
  assert.equal(await store.linkedBlobSize("team/app", blob), 7);
  assert.equal(await store.leaseUpload("u1", 3, 100), undefined, "leased by the write that waited");
  await store.close();
});

concurrentWritersSuite("sqlite (one file, several processes)", async () => {
  const path = join(await mkdtemp(join(dir, "writers-")), "meta.db");
  await (await openSqliteStore(path)).close(); // migrated once, as worker 0 does before forking
  return { driver: "sqlite", path };
});

usageSuite("sqlite (one file, several connections)", async () => {
  const path = join(await mkdtemp(join(dir, "usage-")), "meta.db");
  await (await openSqliteStore(path)).close();
  return { driver: "sqlite", path };
});

it("sqlite: transactions that read then write, racing on two connections, both succeed", async () => {
  // Two processes creating a user's auth tokens at once: each counts, then inserts. Begun as a
  // reader (plain BEGIN), the second to insert could not become the writer: SQLITE_BUSY.
  const path = join(dir, "race.db");
  const a = await openSqliteStores(path);
  const b = await openSqliteStores(path);
  await a.iam.createTenancy({ namespace: "team", description: "", repositoryLimit: 10, createdAt: 1 });
  await a.iam.createUser({ id: "u1", tenancy: "team", name: "ann", description: "", createdAt: 1 });
  const token = (id: string) => ({ id, userId: "u1", description: "", hash: id.repeat(8), createdAt: 1, lastUsedAt: null });
  const created = await Promise.all([a, b, a, b, a, b].map((s, i) => s.iam.createAuthToken(token(`t${i}`), 2)));
  assert.equal(created.filter(Boolean).length, 2);
  assert.equal((await a.iam.listAuthTokens("u1")).length, 2);
  await a.meta.close();
  await b.meta.close();
});

it("sqlite: a write that cannot get the lock in time fails with SQLITE_BUSY naming the database and statement", async () => {
  const path = join(dir, "held.db");
  const { meta, iam } = await openSqliteStores(path, { lockWaitMs: 150 });
  const other = new Sqlite(path);
  other.prepare("begin immediate").run();
  try {
    const busy = (what: RegExp) => (err: unknown) => {
      assert.equal((err as { code?: string }).code, "SQLITE_BUSY");
      assert.match((err as Error).message, new RegExp(`metadata database ${path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: another process held the write lock for over 150 ms`));
      assert.match((err as Error).message, what);
      return true;
    };
    await assert.rejects(iam.createUser({ id: "u1", tenancy: "t", name: "ann", description: "", createdAt: 1 }), busy(/insert into "users"/));
    await assert.rejects(iam.createAuthToken({ id: "t1", userId: "u1", description: "", hash: "h", createdAt: 1, lastUsedAt: null }, 2), busy(/begin immediate/));
    await assert.rejects(meta.linkBlob("team/app", `sha256:${"c".repeat(64)}`, 7, 2), busy(/repositories/));
    assert.equal(await meta.repositoryExists("team/app"), false, "reads go on meanwhile");
  } finally {
    other.prepare("rollback").run();
    other.close();
  }
  assert.equal(await iam.createUser({ id: "u1", tenancy: "t", name: "ann", description: "", createdAt: 1 }), undefined, "the lock is free again");
  await meta.close();
});

it("sqlite: pull counts that could not be written while the lock was held are written with the next flush", async () => {
  const path = join(dir, "pulls.db");
  const store = await openSqliteStore(path, { lockWaitMs: 50 });
  const digest = `sha256:${"d".repeat(64)}`;
  const m = manifestRecord("team/app", digest, { pushedAt: 1 });
  await store.putManifest(m, [], "v1");
  const errors: unknown[] = [];
  const pulls = new PullRecorder(store, (err) => errors.push(err), 60_000);
  pulls.record("team/app", digest, 10);
  pulls.record("team/app", digest, 11);
  const other = new Sqlite(path);
  other.prepare("begin immediate").run();
  await pulls.flush();
  other.prepare("rollback").run();
  other.close();
  assert.equal(errors.length, 1, "the failed flush was reported");
  pulls.record("team/app", digest, 12);
  await pulls.close();
  const stored = await store.getManifest("team/app", digest);
  assert.equal(stored?.pullCount, 3);
  assert.equal(stored?.lastPulledAt, 12);
  await store.close();
});

it("sqlite: a database migrated by a newer Berth is refused with a message that says so", async () => {
  const path = join(dir, "newer.db");
  await (await openSqliteStore(path)).close();
  const other = new Sqlite(path);
  other.prepare("insert into kysely_migration (name, timestamp) values ('9999_from_the_future', 'x')").run();
  other.close();
  await assert.rejects(openSqliteStore(path), /the metadata database was migrated by a newer Berth \(9999_from_the_future\); upgrade this node/);
});

// Embedded metadata: SQLite (better-sqlite3) in WAL mode, one file in the data directory.
import Sqlite from "better-sqlite3";
import { Kysely } from "kysely";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { LOCK_WAIT_MS, type DirectAccess, type DirectWrite, type SqlDatabase } from "./direct.js";
import { migrateToLatest } from "./migrations.js";
import type { Database } from "./schema.js";
import { SqlJobLeases } from "../jobs/leases.js";
import { SqlJobRuns } from "../jobs/runs.js";
import { SqlIamStore } from "./sql-iam-store.js";
import { SqlMetadataStore, type MetadataStoreOptions } from "./sql-store.js";
import { SqliteWriteLock, WriterFirstSqliteDialect } from "./sqlite-driver.js";

export interface SqliteOptions {
  /** how long a write waits for another process's write lock before failing (503); default LOCK_WAIT_MS */
  lockWaitMs?: number;
}

export async function openSqliteDatabase(path: string, options: SqliteOptions = {}): Promise<SqlDatabase> {
  const lockWaitMs = options.lockWaitMs ?? LOCK_WAIT_MS;
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const database = new Sqlite(path);
  database.pragma("journal_mode = WAL");
  // WAL + NORMAL is durable against process crashes and keeps commits cheap; a power loss can
  // only lose the last transactions, never corrupt the file.
  database.pragma("synchronous = NORMAL");
  // Only reads still wait inside SQLite (in WAL mode they hardly ever need to).
  database.pragma(`busy_timeout = ${lockWaitMs}`);
  const statements = withStatementCache(database);
  // SQLite waits for another process's write lock by sleeping the thread (1, 2, 5... ms), and
  // with two serving processes writing, that sleep stopped the whole event loop: in a push of many
  // small images about one write in ten slept. Every write asks without waiting, and the caller
  // tries again after other requests have had their turn (sqlite-driver.ts, direct.ts).
  const lock = new SqliteWriteLock(database, path, lockWaitMs);
  const readonly = (text: string) => statements.prepare(text).readonly;
  const db = new Kysely<Database>({ dialect: new WriterFirstSqliteDialect({ database: statements }, lock, readonly) });
  // Inside an open transaction (Kysely's, across awaits) a direct statement would see or join
  // its uncommitted work: then it is left to Kysely, which waits for the transaction to end.
  const direct: DirectAccess = {
    rows(text, parameters) {
      if (database.inTransaction) return undefined;
      const statement = statements.prepare(text);
      const all = () => statement.all(parameters as unknown[]);
      return statement.readonly ? all() : lock.tryWrite(all);
    },
    version: () => (database.inTransaction ? undefined : `${dataVersion.get() as number}:${ownChanges.get() as number}`),
    writeAll(writes) {
      if (database.inTransaction) return undefined;
      // IMMEDIATE: take the write lock up front, so that another process's writer is seen at
      // BEGIN, before any statement ran, and the whole transaction can simply be tried again.
      return lock.tryWrite(() => {
        try {
          runAll.immediate(writes);
          return true;
        } catch (err) {
          if (err === UNMET) return false;
          throw err;
        }
      });
    },
    lockWaitMs,
    lockTimeout: (text) => lock.timeout(text),
  };
  // data_version moves when another connection (another process) commits; total_changes when
  // this one writes. Neither needs a read transaction, so the pair costs about 2 µs.
  const dataVersion = database.prepare("pragma data_version").pluck();
  const ownChanges = database.prepare("select total_changes()").pluck();
  const runAll = database.transaction((writes: readonly DirectWrite[]) => {
    for (const { query, required } of writes) {
      const statement = statements.prepare(query.sql);
      // Throwing undoes the transaction.
      if (required && statement.get(query.parameters as unknown[]) === undefined) throw UNMET;
      if (!required) statement.run(query.parameters as unknown[]);
    }
  });
  await migrateToLatest(db, "sqlite");
  return { kysely: db, dialect: "sqlite", direct };
}

const UNMET = Symbol("requirement unmet");

/**
 * Kysely's SQLite driver prepares every statement anew, which profiling showed to be a fifth of
 * a manifest GET's CPU. Statements are reusable in better-sqlite3, so keep the recent ones.
 */
function withStatementCache(database: Sqlite.Database, max = 500) {
  const cache = new Map<string, Sqlite.Statement>();
  return {
    close: () => database.close(),
    prepare(sql: string): Sqlite.Statement {
      let statement = cache.get(sql);
      if (statement) {
        // Refresh its place so the least recently used statement is dropped first.
        cache.delete(sql);
      } else {
        statement = database.prepare(sql);
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
      }
      cache.set(sql, statement);
      return statement;
    },
  };
}

export async function openSqliteStore(path: string, options: MetadataStoreOptions & SqliteOptions = {}): Promise<SqlMetadataStore> {
  return new SqlMetadataStore(await openSqliteDatabase(path, options), options);
}

/** The stores over one database; closing `meta` closes it. */
export async function openSqliteStores(
  path: string,
  options: MetadataStoreOptions & SqliteOptions = {},
): Promise<{ meta: SqlMetadataStore; iam: SqlIamStore; jobs: SqlJobLeases; runs: SqlJobRuns }> {
  const db = await openSqliteDatabase(path, options);
  return { meta: new SqlMetadataStore(db, options), iam: new SqlIamStore(db), jobs: new SqlJobLeases(db.kysely), runs: new SqlJobRuns(db.kysely) };
}

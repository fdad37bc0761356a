// Embedded metadata: SQLite (better-sqlite3) in WAL mode, one file in the data directory.
import Sqlite from "better-sqlite3";
import { Kysely, SqliteDialect, type CompiledQuery } from "kysely";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { LOCKED, registerDirectAccess } from "./direct.js";
import { migrateToLatest } from "./migrations.js";
import type { Database } from "./schema.js";
import { SqlJobLeases } from "../jobs/leases.js";
import { SqlIamStore } from "./sql-iam-store.js";
import { SqlMetadataStore } from "./sql-store.js";

/** How long a statement through Kysely waits for another process's write lock. */
const LOCK_WAIT_MS = 5000;

export async function openSqliteDatabase(path: string): Promise<Kysely<Database>> {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const database = new Sqlite(path);
  database.pragma("journal_mode = WAL");
  // WAL + NORMAL is durable against process crashes and keeps commits cheap; a power loss can
  // only lose the last transactions, never corrupt the file.
  database.pragma("synchronous = NORMAL");
  database.pragma(`busy_timeout = ${LOCK_WAIT_MS}`);
  const statements = withStatementCache(database);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: statements }) });
  // SQLite waits for another process's write lock by sleeping the thread (1, 2, 5... ms), and
  // with two serving processes writing, that sleep stopped the whole event loop: in a push of many
  // small images about one write in ten slept. Direct writes ask without waiting, and the caller
  // tries again after other requests have had their turn (direct.ts).
  const waitOff = database.prepare("pragma busy_timeout = 0");
  const waitOn = database.prepare(`pragma busy_timeout = ${LOCK_WAIT_MS}`);
  const withoutLockWait = <T>(write: () => T): T | typeof LOCKED => {
    waitOff.get();
    try {
      return write();
    } catch (err) {
      if ((err as { code?: unknown }).code === "SQLITE_BUSY") return LOCKED;
      throw err;
    } finally {
      waitOn.get();
    }
  };
  // Inside an open transaction (Kysely's, across awaits) a direct statement would see or join
  // its uncommitted work: then it is left to Kysely, which waits for the transaction to end.
  registerDirectAccess(db, {
    rows(text, parameters) {
      if (database.inTransaction) return undefined;
      const statement = statements.prepare(text);
      const all = () => statement.all(parameters as unknown[]);
      return statement.readonly ? all() : withoutLockWait(all);
    },
    version: () => (database.inTransaction ? undefined : `${dataVersion.get() as number}:${ownChanges.get() as number}`),
    writeAll(queries) {
      if (database.inTransaction) return false;
      // IMMEDIATE: take the write lock up front, so that another process's writer is seen at
      // BEGIN, before any statement ran, and the whole transaction can simply be tried again.
      return withoutLockWait(() => {
        runAll.immediate(queries);
        return true;
      });
    },
  });
  // data_version moves when another connection (another process) commits; total_changes when
  // this one writes. Neither needs a read transaction, so the pair costs about 2 µs.
  const dataVersion = database.prepare("pragma data_version").pluck();
  const ownChanges = database.prepare("select total_changes()").pluck();
  const runAll = database.transaction((queries: readonly CompiledQuery[]) => {
    for (const q of queries) statements.prepare(q.sql).run(q.parameters as unknown[]);
  });
  await migrateToLatest(db, "sqlite");
  return db;
}

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

export async function openSqliteStore(path: string): Promise<SqlMetadataStore> {
  return new SqlMetadataStore(await openSqliteDatabase(path));
}

/** The stores over one database; closing `meta` closes it. */
export async function openSqliteStores(path: string): Promise<{ meta: SqlMetadataStore; iam: SqlIamStore; jobs: SqlJobLeases }> {
  const db = await openSqliteDatabase(path);
  return { meta: new SqlMetadataStore(db), iam: new SqlIamStore(db), jobs: new SqlJobLeases(db) };
}

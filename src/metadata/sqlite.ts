// Embedded metadata: SQLite (better-sqlite3) in WAL mode, one file in the data directory.
import Sqlite from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { migrateToLatest } from "./migrations.js";
import type { Database } from "./schema.js";
import { SqlMetadataStore } from "./sql-store.js";

export async function openSqliteStore(path: string): Promise<SqlMetadataStore> {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const database = new Sqlite(path);
  database.pragma("journal_mode = WAL");
  // WAL + NORMAL is durable against process crashes and keeps commits cheap; a power loss can
  // only lose the last transactions, never corrupt the file.
  database.pragma("synchronous = NORMAL");
  database.pragma("busy_timeout = 5000");
  database.pragma("foreign_keys = ON");
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  await migrateToLatest(db, "sqlite");
  return new SqlMetadataStore(db);
}

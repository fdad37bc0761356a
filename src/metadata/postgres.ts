// Shared metadata for several processes and nodes: PostgreSQL through a `pg` pool, behind the same
// Kysely stores as SQLite. Only the opening differs here; the dialect's few statement differences
// are decided by `SqlDatabase.dialect` (direct.ts, repository-creation.ts, migrations.ts).
import { readFileSync } from "node:fs";
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from "kysely";
import pg from "pg";
import type { SqlDatabase } from "./direct.js";
import { migrateToLatest } from "./migrations.js";
import type { Database } from "./schema.js";
import { MetadataUnavailable } from "./store.js";
import { SqlJobLeases } from "../jobs/leases.js";
import { SqlJobRuns } from "../jobs/runs.js";
import { SqlIamStore } from "./sql-iam-store.js";
import { SqlMetadataStore, type MetadataStoreOptions } from "./sql-store.js";

export interface PostgresOptions {
  /** `postgres://user:password@host:port/database` (libpq URL; `?sslmode=` is honoured by pg) */
  url: string;
  /** connections this process keeps at most */
  poolSize?: number;
  /** ms after which the server cancels a statement (0: never) */
  statementTimeout?: number;
  /** TLS to the server, passed through to `pg` (file paths are read here) */
  tls?: PostgresTls;
}

export interface PostgresTls {
  enabled: boolean;
  /** PEM file of the CA that signed the server's certificate (default: the system's) */
  ca?: string;
  /** client certificate and key (PEM files), for servers that authenticate clients by certificate */
  certificate?: string;
  key?: string;
  /** false only for a server with a self-signed certificate you cannot get a CA for */
  verify: boolean;
}

/** Any number; the same on every node, so that nodes migrating together take turns. */
const MIGRATION_LOCK = 0x6265_7274; // "bert"

/** The server could not be reached or refused us; names host, database and user, never the password. */
export class PostgresUnavailable extends MetadataUnavailable {}

export async function openPostgresDatabase(options: PostgresOptions): Promise<SqlDatabase> {
  const config = connectionConfig(options);
  // Migrate first, over a connection of its own that holds the advisory lock: several nodes (and
  // the processes of one) starting together migrate once, the others wait and then find it done.
  const admin = new pg.Client(config);
  try {
    await admin.connect();
  } catch (err) {
    throw new PostgresUnavailable(`metadata.postgres: cannot connect to ${describe(options.url)}: ${(err as Error).message}`);
  }
  // Closed on any failure below, so an untouchable pool is never left open.
  const pool = new pg.Pool({ ...config, max: options.poolSize ?? 10 });
  // An idle connection the server drops is reported here; unheard, it would end the process. The
  // next query on the pool fails too, and that one is answered.
  pool.on("error", () => undefined);
  const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool: markingLostConnections(pool) }) });
  try {
    await admin.query("select pg_advisory_lock($1)", [MIGRATION_LOCK]);
    await migrateToLatest(kysely, "postgres");
  } catch (err) {
    await kysely.destroy();
    throw err;
  } finally {
    await admin.end().catch(() => undefined); // ending the session frees its lock
  }
  return { kysely, dialect: "postgres" };
}

/** What a server that went away (crash, failover, network) looks like from `pg`. */
const CONNECTION_LOST = new Set([
  ...["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"],
  ...["57P01", "57P02", "57P03"], // admin_shutdown, crash_shutdown, cannot_connect_now
  ...["08000", "08001", "08003", "08004", "08006"], // connection exceptions
]);

/**
 * Gives connection-level failures the code `DATABASE_UNAVAILABLE`, which `faultOf` answers 503:
 * a database that went away is the client's "try again shortly", not a bug of ours. `pg` reports
 * a connection cut mid-query without any code ("Connection terminated unexpectedly").
 */
function markingLostConnections(pool: pg.Pool): PostgresPool {
  const mark = (err: unknown): never => {
    const e = err as { code?: unknown; message?: unknown } | null;
    const codeless = e?.code === undefined && /^Connection terminated/.test(String(e?.message));
    const lost = e !== null && typeof e === "object" && (CONNECTION_LOST.has(String(e.code)) || codeless);
    if (lost) Object.assign(e, { code: "DATABASE_UNAVAILABLE" });
    throw err;
  };
  // The pool hands out the same few clients again and again: each is wrapped once, on its first
  // checkout (wrapping on every checkout nested a layer per query, until the stack overflowed).
  const wrapped = new WeakSet<pg.PoolClient>();
  return {
    async connect() {
      const client = await pool.connect().catch(mark);
      if (!wrapped.has(client)) {
        const query = client.query.bind(client) as (...args: unknown[]) => unknown;
        Object.assign(client, {
          query: (...args: unknown[]) => {
            const result = query(...args);
            return result instanceof Promise ? result.catch(mark) : result;
          },
        });
        wrapped.add(client);
      }
      return client as unknown as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
}

function connectionConfig(options: PostgresOptions): pg.ClientConfig {
  const config: pg.ClientConfig = { connectionString: options.url, application_name: "berth" };
  if (options.statementTimeout) config.statement_timeout = options.statementTimeout;
  const tls = options.tls;
  if (tls?.enabled) {
    config.ssl = {
      rejectUnauthorized: tls.verify,
      ...(tls.ca ? { ca: readFileSync(tls.ca, "utf8") } : {}),
      ...(tls.certificate ? { cert: readFileSync(tls.certificate, "utf8") } : {}),
      ...(tls.key ? { key: readFileSync(tls.key, "utf8") } : {}),
    };
  }
  return config;
}

/** `user@host:port/database` of a URL, for messages: never its password. */
export function describe(url: string): string {
  try {
    const u = new URL(url);
    const user = decodeURIComponent(u.username) || "(default user)";
    const database = decodeURIComponent(u.pathname.slice(1)) || "(default database)";
    return `${user}@${u.host || "(default host)"}/${database}`;
  } catch {
    return "(an unparsable URL)";
  }
}

/** Both stores over one pool; closing `meta` closes it. */
export async function openPostgresStores(
  options: PostgresOptions,
  storeOptions: MetadataStoreOptions = {},
): Promise<{ meta: SqlMetadataStore; iam: SqlIamStore; jobs: SqlJobLeases; runs: SqlJobRuns }> {
  const db = await openPostgresDatabase(options);
  return { meta: new SqlMetadataStore(db, storeOptions), iam: new SqlIamStore(db), jobs: new SqlJobLeases(db.kysely), runs: new SqlJobRuns(db.kysely) };
}

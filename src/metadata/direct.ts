// The hottest statements (a manifest by tag, a blob's link, an upload's commit): through Kysely,
// each one goes through the driver's connection lock and several promises. An embedded database
// can run them synchronously instead, which took a tag lookup from 18 to 8 µs. Queries are still
// built and compiled by Kysely, so one text serves both paths; only execution differs.
import type { CompiledQuery, Kysely } from "kysely";
import type { Database } from "./schema.js";

/** A direct write's answer while another process holds the write lock: nothing ran; try again. */
export const LOCKED = Symbol("locked");

/** Synchronous access to an embedded database; each call answers undefined when it cannot run now. */
export interface DirectAccess {
  /** every row of a statement (a write's: those it returns) */
  rows(sqlText: string, parameters: readonly unknown[]): unknown[] | undefined | typeof LOCKED;
  /** runs the statements in one transaction; true when done */
  writeAll(statements: readonly CompiledQuery[]): boolean | typeof LOCKED;
  /**
   * A token that changes whenever the database may have changed, by any process or connection
   * (reads cached under a token stay true while it is unchanged)
   */
  version(): string | undefined;
}

/** A built query or a `sql` template (built queries ignore the argument). */
export interface Compilable<T = unknown> {
  compile(db: Kysely<Database>): CompiledQuery<T>;
}

const direct = new WeakMap<Kysely<Database>, DirectAccess>();

/** Lets the helpers below reach `db` synchronously (the SQLite setup registers this). */
export function registerDirectAccess(db: Kysely<Database>, access: DirectAccess): void {
  direct.set(db, access);
}

/** The database's change token, when it has one (see DirectAccess.version). */
export function version(db: Kysely<Database>): string | undefined {
  return direct.get(db)?.version();
}

/** Every row of a query (a write's: those it returns). */
export async function rows<T>(query: Compilable<T>, db: Kysely<Database>): Promise<T[]> {
  const compiled = query.compile(db);
  const access = direct.get(db);
  const answer = access && (await untilUnlocked(() => access.rows(compiled.sql, compiled.parameters)));
  if (answer) return answer as T[];
  return (await db.executeQuery(compiled)).rows;
}

/** The first row of a read query (or of a write with `returning`), or undefined. */
export async function first<T>(query: Compilable<T>, db: Kysely<Database>): Promise<T | undefined> {
  return (await rows(query, db))[0];
}

/** Runs write queries in one transaction. */
export async function writeAll(db: Kysely<Database>, queries: readonly Compilable<unknown>[]): Promise<void> {
  const compiled = queries.map((q) => q.compile(db));
  const access = direct.get(db);
  if (access && (await untilUnlocked(() => access.writeAll(compiled)))) return;
  await db.transaction().execute(async (trx) => {
    for (const q of compiled) await trx.executeQuery(q);
  });
}

/** How long a direct write keeps asking for the write lock before it waits the blocking way. */
const LOCK_PATIENCE_MS = 2000;

/**
 * Calls `attempt` until another process no longer holds the write lock, letting other requests
 * run in between: at first after one turn of the event loop (a transaction takes microseconds),
 * then after growing pauses. Undefined once patience runs out: the caller then goes through
 * Kysely, whose statements wait for the lock inside SQLite.
 */
async function untilUnlocked<T>(attempt: () => T | typeof LOCKED): Promise<T | undefined> {
  const start = performance.now();
  for (let tries = 0; ; tries++) {
    const answer = attempt();
    if (answer !== LOCKED) return answer;
    if (performance.now() - start > LOCK_PATIENCE_MS) return undefined;
    await new Promise((resume) => (tries < 4 ? setImmediate(resume) : setTimeout(resume, Math.min(2 ** (tries - 4), 20))));
  }
}

// Kysely's SQLite driver, made safe for several processes writing one database file.
// A transaction that reads and then writes starts as a reader under a plain BEGIN; when it tries
// to become the writer while another process holds the write lock, SQLite answers SQLITE_BUSY at
// once (busy_timeout does not apply to that upgrade). So every transaction here begins as the
// writer (BEGIN IMMEDIATE): the stores open transactions only to write. And SQLite waits for a
// lock by sleeping the thread, which would stop the whole event loop: writes ask without waiting
// and try again after other requests have had their turn, for a bounded time.
import type Sqlite from "better-sqlite3";
import { SqliteDialect, type CompiledQuery, type DatabaseConnection, type Driver, type QueryResult, type SqliteDialectConfig } from "kysely";
import { LOCKED, untilUnlocked } from "./direct.js";

/** A write that did not get the write lock in time; `code` makes it a 503 with Retry-After (faultOf). */
export class MetadataLockTimeout extends Error {
  readonly code = "SQLITE_BUSY";
}

/** The write lock of one SQLite file, asked for without sleeping the event loop. */
export class SqliteWriteLock {
  private readonly waitOff: Sqlite.Statement;
  private readonly waitOn: Sqlite.Statement;
  private readonly beginImmediate: Sqlite.Statement;

  constructor(
    private readonly database: Sqlite.Database,
    /** the database file, named in the error of a write that gave up */
    private readonly file: string,
    /** how long a write waits for the lock (reads may wait as long inside SQLite; in WAL mode they hardly ever do) */
    readonly waitMs: number,
  ) {
    this.waitOff = database.prepare("pragma busy_timeout = 0");
    this.waitOn = database.prepare(`pragma busy_timeout = ${waitMs}`);
    this.beginImmediate = database.prepare("begin immediate");
    // A pragma acts when prepared, and its statement is prepared anew on every run but the first:
    // spend the first runs now (the last prepared, waitOn, is what holds).
    this.waitOff.get();
    this.waitOn.get();
  }

  /** Runs `write` without waiting inside SQLite: LOCKED, with nothing done, while another connection holds the lock. */
  tryWrite<T>(write: () => T): T | typeof LOCKED {
    this.waitOff.get();
    try {
      return write();
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code === "string" && code.startsWith("SQLITE_BUSY")) return LOCKED;
      throw err;
    } finally {
      this.waitOn.get();
    }
  }

  /** Runs `write` once the lock is free; MetadataLockTimeout after `waitMs`. */
  async write<T>(sqlText: string, write: () => T): Promise<T> {
    const answer = await untilUnlocked(() => this.tryWrite(write), this.waitMs);
    if (answer === LOCKED) throw this.timeout(sqlText);
    return answer;
  }

  /** Begins a transaction holding the write lock. */
  begin(): Promise<void> {
    return this.write("begin immediate", () => void this.beginImmediate.run());
  }

  timeout(sqlText: string): MetadataLockTimeout {
    const statement = sqlText.replace(/\s+/g, " ").slice(0, 120);
    return new MetadataLockTimeout(
      `metadata database ${this.file}: another process held the write lock for over ${this.waitMs} ms; gave up on "${statement}"`,
    );
  }

  get inTransaction(): boolean {
    return this.database.inTransaction;
  }
}

/** Kysely's SQLite dialect with transactions that begin as the writer and writes that wait without sleeping. */
export class WriterFirstSqliteDialect extends SqliteDialect {
  constructor(
    config: SqliteDialectConfig,
    private readonly lock: SqliteWriteLock,
    /** whether a statement only reads (better-sqlite3 knows once it is prepared) */
    private readonly readonly: (sqlText: string) => boolean,
  ) {
    super(config);
  }

  override createDriver(): Driver {
    return new WriterFirstDriver(super.createDriver(), this.lock, this.readonly);
  }
}

class WriterFirstDriver implements Driver {
  private readonly connections = new WeakMap<DatabaseConnection, DatabaseConnection>();

  constructor(
    private readonly inner: Driver,
    private readonly lock: SqliteWriteLock,
    private readonly readonly: (sqlText: string) => boolean,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.inner.acquireConnection();
    let waiting = this.connections.get(connection);
    if (!waiting) {
      waiting = this.waitingConnection(connection);
      this.connections.set(connection, waiting);
    }
    return waiting;
  }

  beginTransaction(): Promise<void> {
    return this.lock.begin();
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    // A statement that failed with SQLITE_FULL (among others) has already rolled SQLite back.
    return this.lock.inTransaction ? this.inner.rollbackTransaction(connection) : Promise.resolve();
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(connection);
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }

  /** Outside a transaction, a write statement waits for the lock the way `SqliteWriteLock.write` does. */
  private waitingConnection(connection: DatabaseConnection): DatabaseConnection {
    return {
      executeQuery: <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
        if (this.lock.inTransaction || this.readonly(query.sql)) return connection.executeQuery<R>(query);
        // The driver runs the statement synchronously, so a busy lock is seen before the promise.
        return this.lock.write(query.sql, () => connection.executeQuery<R>(query)).then((result) => result);
      },
      streamQuery: <R>(query: CompiledQuery, chunkSize?: number) => connection.streamQuery<R>(query, chunkSize),
    };
  }
}

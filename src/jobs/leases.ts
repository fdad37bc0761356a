// Leases on background jobs, kept in the metadata database so that any process on any node may
// run a job and exactly one does at a time. A holder that dies simply stops renewing: once its
// lease runs out, another process takes the job.
import { sql, type Kysely } from "kysely";
import type { Database } from "../metadata/schema.js";

export interface JobLeases {
  /**
   * Takes `name` for `holder` until `now + lease` when it is due (its next run time reached) and
   * nobody holds an unexpired lease on it. True when taken.
   */
  take(name: string, holder: string, now: number, lease: number): Promise<boolean>;
  /**
   * Takes `name` for `holder` now, due or not, unless someone holds an unexpired lease on it (an
   * on-demand run); its schedule is left as it is. True when taken.
   */
  seize(name: string, holder: string, now: number, lease: number): Promise<boolean>;
  /** Ends the holder's lease without touching when the job is next due. */
  release(name: string, holder: string): Promise<void>;
  /** Extends the holder's lease; false when the holder lost it (expired and taken by another). */
  renew(name: string, holder: string, now: number, lease: number): Promise<boolean>;
  /** Ends the holder's lease and sets when the job is next due. */
  finish(name: string, holder: string, nextRunAt: number): Promise<void>;
}

export class SqlJobLeases implements JobLeases {
  constructor(private readonly db: Kysely<Database>) {}

  async take(name: string, holder: string, now: number, lease: number): Promise<boolean> {
    // One statement, so two processes racing cannot both win: the insert creates a job never run,
    // the conditional update takes one whose lease is free or expired and whose run is due.
    const { rows } = await sql<{ holder: string }>`
      insert into jobs (name, holder, lease_until, next_run_at) values (${name}, ${holder}, ${now + lease}, 0)
      on conflict (name) do update set holder = excluded.holder, lease_until = excluded.lease_until
      where jobs.lease_until <= ${now} and jobs.next_run_at <= ${now}
      returning holder`.execute(this.db);
    return rows[0]?.holder === holder;
  }

  async seize(name: string, holder: string, now: number, lease: number): Promise<boolean> {
    const { rows } = await sql<{ holder: string }>`
      insert into jobs (name, holder, lease_until, next_run_at) values (${name}, ${holder}, ${now + lease}, 0)
      on conflict (name) do update set holder = excluded.holder, lease_until = excluded.lease_until
      where jobs.lease_until <= ${now}
      returning holder`.execute(this.db);
    return rows[0]?.holder === holder;
  }

  async release(name: string, holder: string): Promise<void> {
    await sql`update jobs set holder = null, lease_until = 0 where name = ${name} and holder = ${holder}`.execute(this.db);
  }

  async renew(name: string, holder: string, now: number, lease: number): Promise<boolean> {
    const { rows } = await sql<{ name: string }>`
      update jobs set lease_until = ${now + lease} where name = ${name} and holder = ${holder} and lease_until > ${now}
      returning name`.execute(this.db);
    return rows.length === 1;
  }

  async finish(name: string, holder: string, nextRunAt: number): Promise<void> {
    await sql`update jobs set holder = null, lease_until = 0, next_run_at = ${nextRunAt}
      where name = ${name} and holder = ${holder}`.execute(this.db);
  }
}

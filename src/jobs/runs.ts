// Runs of background jobs, recorded in the metadata database so that any process on any node can
// tell what the last or current run of a job did (`GET /api/v1/gc`, `berth gc`), whoever ran it.
// A run whose process died keeps `running` in its row; its heartbeat stops, so readers report it
// `interrupted` once the heartbeat is older than the job lease.
import { randomBytes } from "node:crypto";
import type { Kysely, Selectable } from "kysely";
import type { Database } from "../metadata/schema.js";

export type RunState = "running" | "succeeded" | "failed" | "interrupted";

export interface JobRun {
  id: string;
  job: string;
  /** who started it: `schedule`, or the principal's name */
  trigger: string;
  dryRun: boolean;
  state: RunState;
  /** the job's own counters, as it last reported them */
  progress: Record<string, unknown>;
  error: string | null;
  startedAt: number;
  finishedAt: number | null;
  heartbeatAt: number;
}

export interface JobRuns {
  /** Records a new run, running from `now`; returns its id. */
  begin(job: string, trigger: string, dryRun: boolean, now: number): Promise<string>;
  /** Saves a running run's counters and heartbeat. */
  beat(id: string, progress: Record<string, unknown>, now: number): Promise<void>;
  /** Ends a run: succeeded with its final counters, or failed with a one-line reason. */
  finish(id: string, state: "succeeded" | "failed", progress: Record<string, unknown>, error: string | null, now: number): Promise<void>;
  get(id: string, now: number, stale: number): Promise<JobRun | undefined>;
  /** The job's newest run (a running one, if any is, first). */
  latest(job: string, now: number, stale: number): Promise<JobRun | undefined>;
}

/** Runs kept per job: enough history to look back on, never a growing table. */
const KEEP = 50;

export class SqlJobRuns implements JobRuns {
  constructor(private readonly db: Kysely<Database>) {}

  async begin(job: string, trigger: string, dryRun: boolean, now: number): Promise<string> {
    const id = `${now.toString(36)}-${randomBytes(6).toString("hex")}`;
    await this.db
      .insertInto("job_runs")
      .values({ id, job, trigger, dry_run: dryRun ? 1 : 0, state: "running", progress: "{}", error: null, started_at: now, finished_at: null, heartbeat_at: now })
      .execute();
    const old = await this.db.selectFrom("job_runs").select("started_at").where("job", "=", job).orderBy("started_at", "desc").offset(KEEP).limit(1).executeTakeFirst();
    if (old) await this.db.deleteFrom("job_runs").where("job", "=", job).where("started_at", "<=", old.started_at).where("state", "!=", "running").execute();
    return id;
  }

  async beat(id: string, progress: Record<string, unknown>, now: number): Promise<void> {
    await this.db.updateTable("job_runs").set({ progress: JSON.stringify(progress), heartbeat_at: now }).where("id", "=", id).where("state", "=", "running").execute();
  }

  async finish(id: string, state: "succeeded" | "failed", progress: Record<string, unknown>, error: string | null, now: number): Promise<void> {
    await this.db
      .updateTable("job_runs")
      .set({ state, progress: JSON.stringify(progress), error, finished_at: now, heartbeat_at: now })
      .where("id", "=", id)
      .execute();
  }

  async get(id: string, now: number, stale: number): Promise<JobRun | undefined> {
    const row = await this.db.selectFrom("job_runs").selectAll().where("id", "=", id).executeTakeFirst();
    return row && runOf(row, now, stale);
  }

  async latest(job: string, now: number, stale: number): Promise<JobRun | undefined> {
    const running = await this.db
      .selectFrom("job_runs")
      .selectAll()
      .where("job", "=", job)
      .where("state", "=", "running")
      .where("heartbeat_at", ">", now - stale)
      .orderBy("started_at", "desc")
      .limit(1)
      .executeTakeFirst();
    const row = running ?? (await this.db.selectFrom("job_runs").selectAll().where("job", "=", job).orderBy("started_at", "desc").orderBy("id", "desc").limit(1).executeTakeFirst());
    return row && runOf(row, now, stale);
  }
}

function runOf(row: Selectable<Database["job_runs"]>, now: number, stale: number): JobRun {
  const heartbeatAt = Number(row.heartbeat_at);
  const state = row.state === "running" && heartbeatAt <= now - stale ? "interrupted" : (row.state as RunState);
  return {
    id: row.id,
    job: row.job,
    trigger: row.trigger,
    dryRun: Number(row.dry_run) === 1,
    state,
    progress: JSON.parse(row.progress) as Record<string, unknown>,
    error: row.error,
    startedAt: Number(row.started_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
    heartbeatAt,
  };
}

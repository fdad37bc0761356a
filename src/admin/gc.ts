// Garbage collection for operators (`berth gc`, `POST/GET /api/v1/gc`): start a collection in
// this process and report the last or current one from its run record, wherever it runs.
import type { Logger } from "pino";
import type { AuditLog } from "../iam/audit.js";
import type { Principal } from "../iam/principal.js";
import type { JobRun, JobRuns } from "../jobs/runs.js";
import type { GcResult } from "../lifecycle/gc.js";
import { GC_JOB, GcBusy, startGc, type GcApp } from "../lifecycle/run.js";
import { conflict, notFound } from "./errors.js";

export interface GcRunView {
  id: string;
  /** `interrupted`: the process running it stopped before the end */
  state: JobRun["state"];
  dryRun: boolean;
  /** `schedule`, or who started it */
  trigger: string;
  /** ISO-8601 UTC */
  startedAt: string;
  finishedAt: string | null;
  /** when the run last recorded its progress */
  updatedAt: string;
  /** counters so far: removed (or, dry, would be) */
  progress: { phase: string } & GcResult;
  /** the final counters, once it succeeded */
  result: GcResult | null;
  error: string | null;
}

export class GcAdmin {
  constructor(
    private readonly app: GcApp & { runs: JobRuns },
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    private readonly audit?: AuditLog,
  ) {}

  /** Starts a collection here and answers at once; CONFLICT while one runs anywhere. */
  async start(actor: Principal, dryRun: boolean): Promise<GcRunView> {
    let started;
    try {
      started = await startGc(this.app, { dryRun, log: this.log, trigger: actor.name, now: this.now });
    } catch (err) {
      if (err instanceof GcBusy) throw conflict(`${err.message}; follow it with \`berth gc status\` (GET /api/v1/gc)`);
      throw err;
    }
    // Its outcome is in its run record; a failure is logged here, never an unhandled rejection.
    started.done.catch((err) => this.log.error({ err }, "garbage collection failed"));
    this.audit?.record({ actor, action: "RunGarbageCollection", target: "registry", outcome: "ok", tenancy: null, detail: `run ${started.id}${dryRun ? ", dry" : ""}` });
    return this.status(started.id);
  }

  /** One run by id, or the latest (a running one first). */
  async status(id?: string): Promise<GcRunView> {
    const stale = this.app.config.jobs.lease;
    const run = id === undefined ? await this.app.runs.latest(GC_JOB, this.now(), stale) : await this.app.runs.get(id, this.now(), stale);
    if (!run || run.job !== GC_JOB) throw id === undefined ? notFound("a garbage collection run (none has run yet)") : notFound(`garbage collection run ${id}`);
    return viewOf(run);
  }
}

function viewOf(run: JobRun): GcRunView {
  const n = (key: string) => (typeof run.progress[key] === "number" ? (run.progress[key] as number) : 0);
  const counts: GcResult = { manifests: n("manifests"), blobs: n("blobs"), bytes: n("bytes"), uploads: n("uploads") };
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    id: run.id,
    state: run.state,
    dryRun: run.dryRun,
    trigger: run.trigger,
    startedAt: iso(run.startedAt),
    finishedAt: run.finishedAt === null ? null : iso(run.finishedAt),
    updatedAt: iso(run.heartbeatAt),
    progress: { phase: typeof run.progress.phase === "string" ? run.progress.phase : "manifests", ...counts },
    result: run.state === "succeeded" ? counts : null,
    error: run.error,
  };
}

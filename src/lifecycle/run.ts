// Garbage collection as the registry runs it: the scheduled `gc` job, and on demand (`berth gc
// [--dry-run]`, the admin API) under the same lease, so one collection runs at a time across
// processes and nodes.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import pino, { type Logger } from "pino";
import type { Config } from "../config/config.js";
import type { JobLeases } from "../jobs/leases.js";
import type { Job } from "../jobs/runner.js";
import type { JobRuns } from "../jobs/runs.js";
import type { MetadataStore } from "../metadata/store.js";
import type { Registry } from "../registry/registry.js";
import type { StorageDriver } from "../storage/driver.js";
import { CLAIM_BATCH, SERVING_CLAIM_BATCH, collectGarbage, type GcDeps, type GcProgress, type GcResult, type GcSettings } from "./gc.js";

export const GC_JOB = "gc";
const STOPPED = "stopped before the end (lease lost or process stopping)";

/** What a collection needs of the assembled application (`App` of src/server/assemble.ts). */
export interface GcApp {
  config: Config;
  storage: StorageDriver;
  meta: MetadataStore;
  jobs: JobLeases;
  registry: Registry;
  /** where runs are recorded for `GET /api/v1/gc` (none: not recorded) */
  runs?: JobRuns;
  /** a serving process: a collection takes turns with its requests (smaller claims) */
  serving?: boolean;
}

export interface RunGcOptions {
  /** count what would go, remove nothing (needs no lease) */
  dryRun?: boolean;
  onProgress?: (progress: GcProgress) => void;
  log?: Logger;
  now?: () => number;
  /** who started it, as its run record names them (default `api`) */
  trigger?: string;
}

/** Another process holds the `gc` lease: a collection is running there. */
export class GcBusy extends Error {
  constructor() {
    super("garbage collection is already running (the scheduled job or another `berth gc`); try again when it ends");
  }
}

/** A collection under way: its run record's id (none without `runs`) and its outcome. */
export interface StartedGc {
  id?: string;
  done: Promise<GcResult>;
}

/**
 * Starts one collection now and returns once it is under way: GcBusy when one is running (a run
 * recorded as running anywhere, or, for a real run, the `gc` lease held). A real run holds the
 * lease until it ends; a dry run needs none. The job's schedule is left as it is.
 */
export async function startGc(app: GcApp, options: RunGcOptions = {}): Promise<StartedGc> {
  const log = options.log ?? pino({ level: "silent" });
  const now = options.now ?? Date.now;
  const lease = app.config.jobs.lease;
  const dryRun = options.dryRun ?? false;
  if (app.runs && (await app.runs.latest(GC_JOB, now(), lease))?.state === "running") throw new GcBusy();
  const holder = `${hostname()}/${process.pid}/${randomBytes(4).toString("hex")}`;
  if (!dryRun && !(await app.jobs.seize(GC_JOB, holder, now(), lease))) throw new GcBusy();
  const abort = new AbortController();
  const renewal = dryRun
    ? undefined
    : setInterval(() => {
        app.jobs.renew(GC_JOB, holder, now(), lease).then(
          (kept) => kept || abort.abort(new Error("lease lost")),
          (err) => log.warn({ err }, "could not renew the gc lease"),
        );
      }, lease / 3);
  renewal?.unref();
  const release = async () => {
    if (renewal) clearInterval(renewal);
    if (!dryRun) await app.jobs.release(GC_JOB, holder).catch((err) => log.warn({ err }, "could not release the gc lease"));
  };
  let record: RunRecorder | undefined;
  try {
    if (app.runs) record = await RunRecorder.begin(app.runs, options.trigger ?? "api", dryRun, now, lease, log);
  } catch (err) {
    await release();
    throw err;
  }
  const done = (async () => {
    try {
      const result = await collectGarbage(depsOf(app, log, now), settingsOf(app), {
        dryRun,
        signal: dryRun ? undefined : abort.signal,
        onProgress: (progress) => {
          record?.progress(progress);
          options.onProgress?.(progress);
        },
      });
      // A run that lost its lease stopped between batches: what it did is recorded, as failed.
      await record?.end(abort.signal.aborted ? "failed" : "succeeded", { phase: "done", ...result }, abort.signal.aborted ? STOPPED : null);
      return result;
    } catch (err) {
      await record?.end("failed", undefined, (err as Error).message ?? String(err));
      throw err;
    } finally {
      await release();
    }
  })();
  return { id: record?.id, done };
}

/** Runs one collection now (see startGc) and returns what it removed (or, dry, would remove). */
export async function runGc(app: GcApp, options: RunGcOptions = {}): Promise<GcResult> {
  return (await startGc(app, options)).done;
}

/** The scheduled collection (gc.enabled, every gc.interval), run by the JobRunner under its lease. */
export function gcJob(app: GcApp, log: Logger, now: () => number = Date.now): Job {
  const deps = depsOf(app, log, now);
  return {
    name: GC_JOB,
    interval: app.config.gc.interval,
    async run(signal) {
      const record = app.runs && (await RunRecorder.begin(app.runs, "schedule", false, now, app.config.jobs.lease, log));
      try {
        const result = await collectGarbage(deps, settingsOf(app), { signal, onProgress: (p) => record?.progress(p) });
        await record?.end(signal.aborted ? "failed" : "succeeded", { phase: "done", ...result }, signal.aborted ? STOPPED : null);
      } catch (err) {
        await record?.end("failed", undefined, (err as Error).message ?? String(err));
        throw err;
      }
    },
  };
}

function depsOf(app: GcApp, log: Logger, now: () => number): GcDeps {
  return { meta: app.meta, storage: app.storage, uploads: app.registry.uploads, now, log };
}

function settingsOf(app: GcApp): GcSettings {
  const { config } = app;
  return {
    grace: config.gc.grace,
    untagged: config.gc.untagged,
    uploadAge: config.storage.maintenance.uploadpurging.age,
    claimBatch: app.serving ? SERVING_CLAIM_BATCH : CLAIM_BATCH,
  };
}

/**
 * Keeps a run's record up to date: its counters at most once a second (and its heartbeat at least
 * every third of the lease, so readers never take a live run for a dead one), and its end.
 */
class RunRecorder {
  private latest: GcProgress | undefined;
  private readonly timer: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly runs: JobRuns,
    readonly id: string,
    private readonly now: () => number,
    every: number,
    private readonly log: Logger,
  ) {
    this.timer = setInterval(() => this.write(), every);
    this.timer.unref();
  }

  static async begin(runs: JobRuns, trigger: string, dryRun: boolean, now: () => number, lease: number, log: Logger): Promise<RunRecorder> {
    const id = await runs.begin(GC_JOB, trigger, dryRun, now());
    return new RunRecorder(runs, id, now, Math.min(1000, lease / 3), log);
  }

  progress(progress: GcProgress): void {
    this.latest = { ...progress };
  }

  private write(): void {
    const progress = this.latest ?? { phase: "manifests", manifests: 0, blobs: 0, bytes: 0, uploads: 0 };
    // One write at a time: a slow database must not pile them up.
    this.writing = this.writing.then(() =>
      this.runs.beat(this.id, { ...progress }, this.now()).catch((err) => this.log.warn({ err }, "could not record the gc run's progress")),
    );
  }

  async end(state: "succeeded" | "failed", result: GcProgress | undefined, error: string | null = null): Promise<void> {
    clearInterval(this.timer);
    await this.writing;
    const progress = result ?? this.latest ?? { phase: "manifests", manifests: 0, blobs: 0, bytes: 0, uploads: 0 };
    await this.runs.finish(this.id, state, { ...progress }, error, this.now()).catch((err) => this.log.warn({ err }, "could not record the gc run's end"));
  }
}

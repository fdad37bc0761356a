// Garbage collection as the registry runs it: the scheduled `gc` job, and on demand (`berth gc
// [--dry-run]`, the admin API) under the same lease, so one collection runs at a time across
// processes and nodes.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import pino, { type Logger } from "pino";
import type { Config } from "../config/config.js";
import type { JobLeases } from "../jobs/leases.js";
import type { Job } from "../jobs/runner.js";
import type { MetadataStore } from "../metadata/store.js";
import type { Registry } from "../registry/registry.js";
import type { StorageDriver } from "../storage/driver.js";
import { collectGarbage, type GcDeps, type GcProgress, type GcResult, type GcSettings } from "./gc.js";

export const GC_JOB = "gc";

/** What a collection needs of the assembled application (`App` of src/server/assemble.ts). */
export interface GcApp {
  config: Config;
  storage: StorageDriver;
  meta: MetadataStore;
  jobs: JobLeases;
  registry: Registry;
}

export interface RunGcOptions {
  /** count what would go, remove nothing (needs no lease) */
  dryRun?: boolean;
  onProgress?: (progress: GcProgress) => void;
  log?: Logger;
  now?: () => number;
}

/** Another process holds the `gc` lease: a collection is running there. */
export class GcBusy extends Error {
  constructor() {
    super("garbage collection is already running (the scheduled job or another `berth gc`); try again when it ends");
  }
}

/**
 * Runs one collection now, under the `gc` job's lease (GcBusy when it is held), and returns what
 * it removed (or, dry, would remove). The job's schedule is left as it is.
 */
export async function runGc(app: GcApp, options: RunGcOptions = {}): Promise<GcResult> {
  const log = options.log ?? pino({ level: "silent" });
  const now = options.now ?? Date.now;
  const deps = depsOf(app, log, now);
  const settings = settingsOf(app.config);
  if (options.dryRun) return collectGarbage(deps, settings, { dryRun: true, onProgress: options.onProgress });
  const holder = `${hostname()}/${process.pid}/${randomBytes(4).toString("hex")}`;
  const lease = app.config.jobs.lease;
  if (!(await app.jobs.seize(GC_JOB, holder, now(), lease))) throw new GcBusy();
  const abort = new AbortController();
  const renewal = setInterval(() => {
    app.jobs.renew(GC_JOB, holder, now(), lease).then(
      (kept) => kept || abort.abort(new Error("lease lost")),
      (err) => log.warn({ err }, "could not renew the gc lease"),
    );
  }, lease / 3);
  renewal.unref();
  try {
    return await collectGarbage(deps, settings, { onProgress: options.onProgress, signal: abort.signal });
  } finally {
    clearInterval(renewal);
    await app.jobs.release(GC_JOB, holder).catch((err) => log.warn({ err }, "could not release the gc lease"));
  }
}

/** The scheduled collection (gc.enabled, every gc.interval), run by the JobRunner under its lease. */
export function gcJob(app: GcApp, log: Logger, now: () => number = Date.now): Job {
  const deps = depsOf(app, log, now);
  return {
    name: GC_JOB,
    interval: app.config.gc.interval,
    async run(signal) {
      await collectGarbage(deps, settingsOf(app.config), { signal });
    },
  };
}

function depsOf(app: GcApp, log: Logger, now: () => number): GcDeps {
  return { meta: app.meta, storage: app.storage, uploads: app.registry.uploads, now, log };
}

function settingsOf(config: Config): GcSettings {
  return { grace: config.gc.grace, untagged: config.gc.untagged, uploadAge: config.storage.maintenance.uploadpurging.age };
}

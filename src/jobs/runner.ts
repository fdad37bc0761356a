// Runs background jobs on every serving process of every node; the leases decide which process
// runs a job each time it is due, so exactly one runs it, once per interval across the cluster.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Logger } from "pino";
import type { JobLeases } from "./leases.js";

export interface Job {
  name: string;
  /** time from the end of one run to when the job is due again */
  interval: number;
  /** the job's work; `signal` aborts when this process lost the lease or is stopping */
  run(signal: AbortSignal): Promise<void>;
}

export interface RunnerOptions {
  /** how long a lease lasts without renewal: the longest a dead holder keeps a job from running */
  lease: number;
  /** how often this process asks whether a job is due (at most the job's interval) */
  poll: number;
  now?: () => number;
}

export class JobRunner {
  /** unique per process, and readable in the jobs table: host, pid and a random suffix */
  readonly holder = `${hostname()}/${process.pid}/${randomBytes(4).toString("hex")}`;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Map<string, { done: Promise<void>; abort: AbortController }>();
  private readonly now: () => number;
  private stopped = false;

  constructor(
    private readonly leases: JobLeases,
    private readonly log: Logger,
    private readonly options: RunnerOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Asks at once, then every `poll` (or the job's interval, if shorter), whether the job is due. */
  start(job: Job): void {
    const tick = () => void this.tryRun(job);
    // Jitter spreads the nodes' polls so that they do not all ask in the same millisecond.
    const every = Math.max(10, Math.min(this.options.poll, job.interval));
    this.timers.push(setInterval(tick, every * (0.9 + Math.random() * 0.2)).unref());
    tick();
  }

  /** Runs the job here if it is due and free; resolves when this attempt is over. */
  async tryRun(job: Job): Promise<void> {
    if (this.stopped || this.running.has(job.name)) return;
    const abort = new AbortController();
    const done = this.attempt(job, abort).finally(() => this.running.delete(job.name));
    this.running.set(job.name, { done, abort });
    await done;
  }

  private async attempt(job: Job, abort: AbortController): Promise<void> {
    const { lease } = this.options;
    try {
      if (!(await this.leases.take(job.name, this.holder, this.now(), lease))) return;
    } catch (err) {
      this.log.warn({ job: job.name, err }, "could not ask for a job's lease");
      return;
    }
    // Renew well before the lease ends, so a slow database round trip does not lose it.
    const renewal = setInterval(() => {
      this.leases.renew(job.name, this.holder, this.now(), lease).then(
        (kept) => {
          if (kept) return;
          this.log.error({ job: job.name }, "lost a job's lease while running it; stopping it");
          abort.abort(new Error("lease lost"));
        },
        (err) => this.log.warn({ job: job.name, err }, "could not renew a job's lease"),
      );
    }, lease / 3);
    renewal.unref();
    try {
      await job.run(abort.signal);
    } catch (err) {
      this.log.error({ job: job.name, err }, "job failed");
    } finally {
      clearInterval(renewal);
    }
    try {
      // A run cut short (this process stopping) is due again at once, for another process.
      await this.leases.finish(job.name, this.holder, this.now() + (abort.signal.aborted ? 0 : job.interval));
    } catch (err) {
      // The lease then simply expires and the job runs again after it.
      this.log.warn({ job: job.name, err }, "could not release a job's lease");
    }
  }

  /** Stops polling, aborts running jobs and waits for them to end (their leases are released). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    for (const { abort } of this.running.values()) abort.abort(new Error("stopping"));
    await Promise.all([...this.running.values()].map((r) => r.done));
  }
}

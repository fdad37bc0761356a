// Pull statistics (count, last pull) feed retention and the console; pulls and egress per day feed
// usage. Counting every GET with a write would cost more than serving it, so both are summed in
// memory and flushed in batches.
import type { MetadataStore, PullEvent, UsageEvent } from "../metadata/store.js";

const DAY_MS = 86_400_000;

/** Tenancies past this many count their egress under one series (`OTHER_TENANCIES`). */
const TENANCY_SERIES = 1000;
export const OTHER_TENANCIES = "(other)";

export class PullRecorder {
  private pending = new Map<string, PullEvent>();
  private usage = new Map<string, UsageEvent>();
  /** bytes this process has sent since it started, by tenancy (the metrics' counter) */
  private readonly egressTotals = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly meta: MetadataStore,
    private readonly onError: (err: unknown) => void,
    flushEveryMs = 1000,
  ) {
    this.timer = setInterval(() => void this.flush(), flushEveryMs);
    this.timer.unref();
  }

  /** A manifest GET answered with its `bytes`-long body. */
  record(repository: string, digest: string, at: number, bytes = 0): void {
    const key = `${repository}\n${digest}`;
    const event = this.pending.get(key);
    if (event) {
      event.count += 1;
      event.at = at;
    } else {
      this.pending.set(key, { repository, digest, at, count: 1 });
    }
    this.day(repository, at, 1, bytes);
  }

  /** A blob body of `bytes` sent (the whole blob, or the range asked for). */
  egress(repository: string, bytes: number, at: number): void {
    this.day(repository, at, 0, bytes);
  }

  /** Bytes sent by this process since it started, by tenancy (bounded: see TENANCY_SERIES). */
  egressByTenancy(): ReadonlyMap<string, number> {
    return this.egressTotals;
  }

  /** Writes what was counted; a failed write is counted again with the next flush and reported once. */
  async flush(): Promise<void> {
    const failed = (await this.flushPulls()) ?? (await this.flushUsage());
    if (failed !== undefined) this.onError(failed.err);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  private day(repository: string, at: number, pulls: number, bytes: number): void {
    const day = Math.floor(at / DAY_MS);
    const key = `${repository}\n${day}`;
    const usage = this.usage.get(key);
    if (usage) {
      usage.pulls += pulls;
      usage.egressBytes += bytes;
    } else {
      this.usage.set(key, { repository, day, pulls, egressBytes: bytes });
    }
    if (bytes > 0) {
      const slash = repository.indexOf("/");
      let tenancy = slash < 0 ? repository : repository.slice(0, slash);
      if (!this.egressTotals.has(tenancy) && this.egressTotals.size >= TENANCY_SERIES) tenancy = OTHER_TENANCIES;
      this.egressTotals.set(tenancy, (this.egressTotals.get(tenancy) ?? 0) + bytes);
    }
  }

  private async flushPulls(): Promise<{ err: unknown } | undefined> {
    if (this.pending.size === 0) return undefined;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    try {
      await this.meta.recordPulls(batch);
    } catch (err) {
      // Nothing of the batch was written (one transaction): count it again with the next flush.
      for (const e of batch) {
        const later = this.pending.get(`${e.repository}\n${e.digest}`);
        if (later) later.count += e.count;
        else this.pending.set(`${e.repository}\n${e.digest}`, e);
      }
      return { err };
    }
    return undefined;
  }

  private async flushUsage(): Promise<{ err: unknown } | undefined> {
    if (this.usage.size === 0) return undefined;
    const batch = [...this.usage.values()];
    this.usage = new Map();
    try {
      await this.meta.recordUsage(batch);
    } catch (err) {
      for (const e of batch) {
        const key = `${e.repository}\n${e.day}`;
        const later = this.usage.get(key);
        if (later) {
          later.pulls += e.pulls;
          later.egressBytes += e.egressBytes;
        } else {
          this.usage.set(key, e);
        }
      }
      return { err };
    }
    return undefined;
  }
}

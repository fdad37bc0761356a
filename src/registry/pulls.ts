// Pull statistics (count, last pull) feed retention and the console; pulls and egress per day feed
// usage. Counting every GET with a write would cost more than serving it, so both are summed in
// memory and flushed in batches.
import type { MetadataStore, PullEvent, UsageEvent } from "../metadata/store.js";

const DAY_MS = 86_400_000;

/** Tenancies past this many count their egress under one series (`OTHER_TENANCIES`). */
const TENANCY_SERIES = 1000;
export const OTHER_TENANCIES = "(other)";
const REPOSITORIES_REMEMBERED = 10_000;

export class PullRecorder {
  private pending = new Map<string, PullEvent>();
  /** by repository, of the day each was last counted on (no key to build per request) */
  private usage = new Map<string, UsageEvent>();
  /** events of days that ended before they were written */
  private earlier: UsageEvent[] = [];
  /** bytes this process has sent since it started, by tenancy (the metrics' counter) */
  private readonly egressTotals = new Map<string, { bytes: number }>();
  /** each repository's tenancy's entry of egressTotals */
  private readonly totalOf = new Map<string, { bytes: number }>();
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
  egressByTenancy(): [string, number][] {
    return [...this.egressTotals].map(([tenancy, total]) => [tenancy, total.bytes]);
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
    let usage = this.usage.get(repository);
    if (usage === undefined || usage.day !== day) {
      if (usage !== undefined) this.earlier.push(usage);
      usage = { repository, day, pulls: 0, egressBytes: 0 };
      this.usage.set(repository, usage);
    }
    usage.pulls += pulls;
    usage.egressBytes += bytes;
    if (bytes > 0) this.tenancyTotal(repository).bytes += bytes;
  }

  private tenancyTotal(repository: string): { bytes: number } {
    let total = this.totalOf.get(repository);
    if (total !== undefined) return total;
    const slash = repository.indexOf("/");
    let tenancy = slash < 0 ? repository : repository.slice(0, slash);
    if (!this.egressTotals.has(tenancy) && this.egressTotals.size >= TENANCY_SERIES) tenancy = OTHER_TENANCIES;
    total = this.egressTotals.get(tenancy);
    if (total === undefined) this.egressTotals.set(tenancy, (total = { bytes: 0 }));
    // A cache, not a record: dropped whole when a process has met very many repositories.
    if (this.totalOf.size >= REPOSITORIES_REMEMBERED) this.totalOf.clear();
    this.totalOf.set(repository, total);
    return total;
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
    if (this.usage.size === 0 && this.earlier.length === 0) return undefined;
    const batch = [...this.earlier, ...this.usage.values()];
    this.usage = new Map();
    this.earlier = [];
    try {
      await this.meta.recordUsage(batch);
    } catch (err) {
      // Nothing of the batch was written (one transaction); each event adds, so it is written as it is next time.
      this.earlier.push(...batch);
      return { err };
    }
    return undefined;
  }
}

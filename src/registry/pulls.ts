// Pull statistics (count, last pull) feed retention and the console. Counting every GET with a
// write would cost more than serving it, so pulls are summed in memory and flushed in batches.
import type { MetadataStore, PullEvent } from "../metadata/store.js";

export class PullRecorder {
  private pending = new Map<string, PullEvent>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly meta: MetadataStore,
    private readonly onError: (err: unknown) => void,
    flushEveryMs = 1000,
  ) {
    this.timer = setInterval(() => void this.flush(), flushEveryMs);
    this.timer.unref();
  }

  record(repository: string, digest: string, at: number): void {
    const key = `${repository}\n${digest}`;
    const event = this.pending.get(key);
    if (event) {
      event.count += 1;
      event.at = at;
    } else {
      this.pending.set(key, { repository, digest, at, count: 1 });
    }
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
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
      this.onError(err);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}

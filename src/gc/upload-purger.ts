// Abandoned uploads expire: a session untouched for `age` is deleted, bytes and record.
import type { Logger } from "pino";
import type { UploadService } from "../registry/uploads.js";

export class UploadPurger {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly uploads: UploadService,
    private readonly age: number,
    private readonly now: () => number,
    private readonly log: Logger,
  ) {}

  start(interval: number): void {
    this.timer = setInterval(() => void this.run(), interval);
    this.timer.unref();
  }

  run(): Promise<void> {
    this.running ??= this.uploads
      .purgeStale(this.now() - this.age)
      .then((count) => {
        if (count > 0) this.log.info({ count }, "purged abandoned uploads");
      })
      .catch((err) => this.log.error({ err }, "purging abandoned uploads failed"))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}

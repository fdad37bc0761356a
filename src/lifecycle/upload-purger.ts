// Abandoned uploads expire: a session untouched for `age` is deleted, bytes and record. Runs as
// the leased job `purge-uploads`, so one process of the cluster purges at a time.
import type { Logger } from "pino";
import type { Job } from "../jobs/runner.js";
import type { UploadService } from "../registry/uploads.js";

export const PURGE_UPLOADS = "purge-uploads";

export function purgeUploadsJob(uploads: UploadService, age: number, interval: number, now: () => number, log: Logger): Job {
  return {
    name: PURGE_UPLOADS,
    interval,
    async run() {
      const count = await uploads.purgeStale(now() - age);
      if (count > 0) log.info({ count }, "purged abandoned uploads");
    },
  };
}

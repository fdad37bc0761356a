// The `retention` job as the serving process assembles it: deletions go through the admin
// services' image delete, audited in the tenancy as the policy that ordered them.
import type { Logger } from "pino";
import type { AdminServices } from "../admin/services.js";
import type { Config } from "../config/config.js";
import type { Job } from "../jobs/runner.js";
import type { MetadataStore } from "../metadata/store.js";
import { retentionJob, type RetentionDeps } from "./retention.js";

export interface RetentionApp {
  config: Config;
  meta: MetadataStore;
  admin: AdminServices;
}

export function retentionDeps(app: RetentionApp, log: Logger, now: () => number = Date.now): RetentionDeps {
  return {
    meta: app.meta,
    cooling: app.config.retention.cooling,
    now,
    log,
    deleteImage: (policy, repository, digest, detail) =>
      app.admin.images.deleteImage({ kind: "system", name: `retention-policy:${policy}` }, repository, digest, { action: "RetentionDeleteImage", detail }),
  };
}

export function retentionJobOf(app: RetentionApp, log: Logger, now: () => number = Date.now): Job {
  return retentionJob(retentionDeps(app, log, now), app.config.retention.interval);
}

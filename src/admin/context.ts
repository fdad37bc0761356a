import type { Logger } from "pino";
import type { Authorization } from "../authz/authorization.js";
import type { AccessControl } from "../iam/access.js";
import type { AuditLog } from "../iam/audit.js";
import type { IamStore } from "../iam/store.js";
import type { MetadataStore } from "../metadata/store.js";
import type { Registry } from "../registry/registry.js";

export interface AdminSettings {
  /** the tenancy whose Administrators run the whole registry (create tenancies) */
  operatorNamespace: string;
  /** repositories a new tenancy may hold (OCIR: 500) */
  defaultRepositoryLimit: number;
  /** auth tokens a user may hold at once (OCIR: 2) */
  maxTokensPerUser: number;
  /** how long a changed retention policy waits before it applies (retention.cooling) */
  retentionCooling?: number;
}

export interface AdminContext {
  iam: IamStore;
  meta: MetadataStore;
  /** the registry's domain services (manifest deletes keep their rules: storage.delete.enabled) */
  registry: Registry;
  /** policies, for forgetting a tenancy's cached ones when they change */
  access: AccessControl;
  /** the one decision every service method asks before it acts */
  authz: Authorization;
  audit: AuditLog;
  now: () => number;
  log: Logger;
  settings: AdminSettings;
}

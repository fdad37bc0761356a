// The admin API's answers, derived from the server's zod schemas (type-only: no zod in the bundle).
import type { z } from "zod";
import type * as s from "../../../src/api/schemas.js";
import type * as r from "../../../src/api/retention-routes.js";

export type Tenancy = z.infer<typeof s.tenancy>;
export type User = z.infer<typeof s.user>;
export type Group = z.infer<typeof s.group>;
export type Policy = z.infer<typeof s.policy>;
export type AuthToken = z.infer<typeof s.authToken>;
export type CreatedAuthToken = z.infer<typeof s.createdAuthToken>;
export type UserDetail = z.infer<typeof s.userDetail>;
export type Repository = z.infer<typeof s.repository>;
export type Tag = z.infer<typeof s.tag>;
export type Image = z.infer<typeof s.image>;
export type ImageDetail = z.infer<typeof s.imageDetail>;
/** `POST /tenancies/{ns}/policies/check`: per statement `{ok: true}` or the reason, 1-based column and token length. */
export type PolicyCheck = z.infer<typeof s.policyCheck>;
export type AuditEvent = z.infer<typeof s.auditEvent>;
export type Usage = z.infer<typeof s.usage>;
export type RepositoryUsage = z.infer<typeof s.repositoryUsage>;
export type WhoAmI = z.infer<typeof s.whoami>;
/** GET /api/v1/permissions */
export type Permissions = z.infer<typeof s.permissions>;

/** POST/GET /api/v1/session (src/api/session-routes.ts). */
export interface SessionInfo {
  user: string;
  tenancy: string;
  groups: string[];
  createdAt: string;
  expiresAt: string;
  csrfToken: string;
}

export type RetentionPolicy = z.infer<typeof r.retentionPolicy>;
export type RetentionRules = RetentionPolicy["rules"];
export type RetentionPreview = z.infer<typeof r.retentionPreview>;

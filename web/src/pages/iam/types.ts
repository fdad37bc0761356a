// The IAM answers of the admin API, derived from the server's zod schemas (type-only: no zod in
// the bundle), so the server stays the one source of truth.
import type { z } from "zod";
import type * as s from "../../../../src/api/schemas.js";

export type User = z.infer<typeof s.user>;
export type Group = z.infer<typeof s.group>;
export type UserDetail = z.infer<typeof s.userDetail>;
export type Policy = z.infer<typeof s.policy>;
export type AuthToken = z.infer<typeof s.authToken>;
export type CreatedAuthToken = z.infer<typeof s.createdAuthToken>;

/** `POST /tenancies/{ns}/policies/check`: per statement `{ok: true}` or the reason, 1-based column and token length. */
export type PolicyCheck = z.infer<typeof s.policyCheck>;

/** What the create and update routes put in `detail` when a statement does not parse. */
export interface StatementErrorDetail {
  statement: number;
  column: number;
  reason: string;
}

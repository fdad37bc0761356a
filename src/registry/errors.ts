// Domain errors carry the OCI distribution error code; the HTTP layer maps codes to statuses.
import { RepositoryLimitReached, StorageQuotaExceeded, TagImmutable } from "../metadata/store.js";

export type ErrorCode =
  | "BLOB_UNKNOWN"
  | "BLOB_UPLOAD_INVALID"
  | "BLOB_UPLOAD_UNKNOWN"
  | "DIGEST_INVALID"
  | "MANIFEST_BLOB_UNKNOWN"
  | "MANIFEST_INVALID"
  | "MANIFEST_UNKNOWN"
  | "NAME_INVALID"
  | "NAME_UNKNOWN"
  | "SIZE_INVALID"
  | "TAG_INVALID"
  | "RANGE_INVALID"
  | "PAGINATION_NUMBER_INVALID"
  | "UNAUTHORIZED"
  | "DENIED"
  | "UNSUPPORTED"
  | "TOOMANYREQUESTS"
  | "UNKNOWN";

export class RegistryError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly detail?: unknown,
    /** overrides the code's usual HTTP status (e.g. 416 for an out-of-order chunk) */
    readonly status?: number,
    /** extra response headers (e.g. the current `Range` of an upload) */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const blobUnknown = (digest: string) => new RegistryError("BLOB_UNKNOWN", "blob unknown to registry", { digest });
export const manifestUnknown = (reference: string) =>
  new RegistryError("MANIFEST_UNKNOWN", "manifest unknown", { reference });
export const nameUnknown = (name: string) =>
  new RegistryError("NAME_UNKNOWN", "repository name not known to registry", { name });
export const uploadUnknown = (id: string) =>
  new RegistryError("BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry", { uuid: id });
export const unsupported = (message: string) => new RegistryError("UNSUPPORTED", message);

/** Filesystem and database answers that mean "no space left": 507, whatever wrote. */
const FULL = new Set([
  "ENOSPC",
  "EDQUOT",
  "SQLITE_FULL",
  // SQLite could not grow its WAL index (the -shm file): what a full disk gives it there.
  "SQLITE_IOERR_SHMSIZE",
  "53100" /* PostgreSQL disk_full */,
]);
/** Object storage that does not answer, or answers "slow down" / 5xx (the S3 driver): 503. */
const UNAVAILABLE = "STORAGE_UNAVAILABLE";
/** The metadata database went away (postgres.ts marks it): 503, try again shortly. */
const DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE";
/** A lock another writer holds for longer than we wait: 503, try again shortly. */
const BUSY = new Set([
  "SQLITE_BUSY",
  "SQLITE_LOCKED",
  "SQLITE_BUSY_SNAPSHOT",
  // PostgreSQL: lock_not_available, a statement past metadata.postgres.statementtimeout
  // (query_canceled), and conflicts still there after writeTransaction's retries.
  "55P03",
  "57014",
  "40001" /* serialization_failure */,
  "40P01" /* deadlock_detected */,
]);
/** A name taken by a concurrent request between our check and our insert (two creates of one user): 409. */
const TAKEN = new Set(["SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY", "23505" /* PostgreSQL unique_violation */]);

/**
 * The registry error a storage or database fault means for the client, or undefined for a fault
 * that is ours (a plain 500). Every HTTP surface maps faults through this one function; a store's
 * refusal to create a repository past its tenancy's limit is one too (403 DENIED), as are a push
 * past the storage quota and a move or delete of an immutable tag, and so is a
 * name taken by a concurrent request (409).
 */
export function faultOf(err: unknown): RegistryError | undefined {
  if (err instanceof RepositoryLimitReached) {
    return new RegistryError("DENIED", err.message, { namespace: err.namespace, limit: err.limit ?? null }, 403);
  }
  if (err instanceof StorageQuotaExceeded) {
    return new RegistryError("DENIED", err.message, { namespace: err.namespace, quota: err.quota, used: err.used, adding: err.adding }, 403);
  }
  if (err instanceof TagImmutable) {
    return new RegistryError("DENIED", err.message, { repository: err.repository, tag: err.tag }, 403);
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return undefined;
  if (FULL.has(code)) {
    return new RegistryError("UNKNOWN", "the registry's storage is full; nothing was stored, try again once an operator has freed space", undefined, 507);
  }
  if (code === UNAVAILABLE) {
    return new RegistryError("UNKNOWN", "the registry's storage is unavailable; nothing was lost, try again shortly", undefined, 503, { "Retry-After": "5" });
  }
  if (code === DATABASE_UNAVAILABLE) {
    return new RegistryError("UNKNOWN", "the registry's metadata database is unavailable; nothing was lost, try again shortly", undefined, 503, { "Retry-After": "2" });
  }
  if (BUSY.has(code)) {
    return new RegistryError("UNKNOWN", "the registry's metadata database is busy; try again shortly", undefined, 503, { "Retry-After": "1" });
  }
  if (TAKEN.has(code)) {
    return new RegistryError("UNKNOWN", "a concurrent request created the same thing first; it exists now", undefined, 409);
  }
  return undefined;
}

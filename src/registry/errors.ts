// Domain errors carry the OCI distribution error code; the HTTP layer maps codes to statuses.

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

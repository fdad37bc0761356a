// The admin API's answers: `{"data": …}` (with `next` on a list page) for every success, the OCI
// error envelope `{"errors":[{"code","message","detail"}]}` for every failure, whatever threw.
import type { Logger } from "pino";
import { AdminError, type AdminErrorKind } from "../admin/errors.js";
import { statusOf } from "../distribution/errors.js";
import { faultOf, RegistryError } from "../registry/errors.js";
import { toWire } from "./serialize.js";

/** The error codes of the admin API (docs/API.md). */
export type ApiErrorCode =
  | "INVALID"
  | "UNAUTHORIZED"
  | "DENIED"
  | "NOT_FOUND"
  | "UNSUPPORTED"
  | "CONFLICT"
  | "LIMIT_EXCEEDED"
  | "SIZE_INVALID"
  | "TOOMANYREQUESTS"
  | "UNKNOWN"
  | "UNAVAILABLE"
  | "STORAGE_FULL";

export const API_ERROR_CODES: readonly ApiErrorCode[] = [
  "INVALID",
  "UNAUTHORIZED",
  "DENIED",
  "NOT_FOUND",
  "UNSUPPORTED",
  "CONFLICT",
  "LIMIT_EXCEEDED",
  "SIZE_INVALID",
  "TOOMANYREQUESTS",
  "UNKNOWN",
  "UNAVAILABLE",
  "STORAGE_FULL",
];

/** An error the API answers with as it is. */
export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    readonly status: number,
    message: string,
    readonly detail?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface Answer {
  status: number;
  /** the JSON envelope; undefined for 204 */
  body: unknown;
  headers: Record<string, string>;
}

const KINDS: Record<AdminErrorKind, { code: ApiErrorCode; status: number }> = {
  invalid: { code: "INVALID", status: 400 },
  "not-found": { code: "NOT_FOUND", status: 404 },
  conflict: { code: "CONFLICT", status: 409 },
  forbidden: { code: "DENIED", status: 403 },
  limit: { code: "LIMIT_EXCEEDED", status: 409 },
};

/** Registry codes the API keeps; the others are named by their status. */
const KEPT = new Set(["UNAUTHORIZED", "DENIED", "UNSUPPORTED", "TOOMANYREQUESTS", "SIZE_INVALID"]);
const BY_STATUS: Record<number, ApiErrorCode> = { 400: "INVALID", 404: "NOT_FOUND", 409: "CONFLICT", 503: "UNAVAILABLE", 507: "STORAGE_FULL" };

export function success(status: number, data: unknown, next?: string): Answer {
  if (status === 204) return { status, body: undefined, headers: {} };
  return { status, body: next === undefined ? { data: toWire(data) } : { data: toWire(data), next }, headers: {} };
}

/**
 * The error answer for whatever a route threw; undefined for a fault of ours (the caller logs it
 * and answers 500 UNKNOWN). Storage and database faults are mapped by `faultOf`, as on /v2.
 */
export function failure(err: unknown, log?: Logger): Answer | undefined {
  const error = toApiError(err, log);
  if (!error) return undefined;
  const entry: Record<string, unknown> = { code: error.code, message: error.message };
  if (error.detail !== undefined) entry.detail = error.detail;
  return { status: error.status, body: { errors: [entry] }, headers: error.headers };
}

export function internalFailure(): Answer {
  return failure(new ApiError("UNKNOWN", 500, "internal server error; see the server log for the request id"))!;
}

function toApiError(err: unknown, log?: Logger): ApiError | undefined {
  if (err instanceof ApiError) return err;
  if (err instanceof AdminError) {
    const { code, status } = KINDS[err.kind];
    return new ApiError(code, status, err.message, err.detail);
  }
  const fault = err instanceof RegistryError ? undefined : faultOf(err);
  // A storage or database fault is the operator's business too (the log names what failed); a
  // refusal (a name taken meanwhile) is only the client's.
  if (fault && statusOf(fault) >= 500) log?.error({ err }, fault.message);
  else if (fault) log?.info({ code: fault.code }, fault.message);
  const registry = err instanceof RegistryError ? err : fault;
  if (!registry) return undefined;
  const status = statusOf(registry);
  const code = KEPT.has(registry.code) ? (registry.code as ApiErrorCode) : (BY_STATUS[status] ?? (status >= 500 ? "UNKNOWN" : "INVALID"));
  return new ApiError(code, status, registry.message, registry.detail, registry.headers);
}

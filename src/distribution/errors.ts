// The spec's error envelope and the HTTP status of each code.
import type { ServerResponse } from "node:http";
import { RegistryError, type ErrorCode } from "../registry/errors.js";

const STATUS: Record<ErrorCode, number> = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  TAG_INVALID: 400,
  RANGE_INVALID: 416,
  PAGINATION_NUMBER_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 405,
  TOOMANYREQUESTS: 429,
  UNKNOWN: 500,
};

export function statusOf(err: RegistryError): number {
  return err.status ?? STATUS[err.code];
}

export function writeError(res: ServerResponse, err: RegistryError, head: boolean): void {
  const status = statusOf(err);
  const entry: Record<string, unknown> = { code: err.code, message: err.message };
  if (err.detail !== undefined) entry.detail = err.detail;
  const body = JSON.stringify({ errors: [entry] });
  res.statusCode = status;
  for (const [name, value] of Object.entries(err.headers ?? {})) res.setHeader(name, value);
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.end(head ? undefined : body);
}

export function internalError(): RegistryError {
  return new RegistryError("UNKNOWN", "internal server error; see the server log for the request id");
}

// What a handler gets: the request, the response, the parsed route and the services.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { Authorization } from "../authz/authorization.js";
import type { Operation } from "../iam/operations.js";
import type { Principal } from "../iam/principal.js";
import type { Registry } from "../registry/registry.js";
import { readBounded } from "../server/read-body.js";

export interface HandlerContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** the request path's query parameters */
  query: URLSearchParams;
  /** the repository name of a `/v2/<name>/...` route, validated */
  name: string;
  /** the route's last path segment (reference, digest or upload id) when it has one */
  ref: string;
  registry: Registry;
  /** for listings and mount candidates (`filter`); the route's own operations are decided already */
  authz: Authorization;
  principal: Principal;
  /** whether an optional access the route declared was granted (pull on a mount's `from`) */
  granted(operation: Operation, repository: string): boolean;
  log: Logger;
}

/** True when the request carries a body (a length above zero, or chunked transfer). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  if (length !== undefined) return length !== "0";
  return req.headers["transfer-encoding"] !== undefined;
}

/** Reads a small body whole (manifests), refusing more than `limit` bytes with 413. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return readBounded(req, limit);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, head = false, contentType = "application/json"): void {
  const body = JSON.stringify(value);
  res.statusCode = status;
  res.setHeader("Content-Type", contentType);
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.end(head ? undefined : body);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string | number> = {}): void {
  res.statusCode = status;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader("Content-Length", 0);
  res.end();
}

/** `<path?n=..&last=..>; rel="next"` for paginated lists. */
export function nextLink(path: string, n: number, last: string): string {
  const query = new URLSearchParams({ n: String(n), last });
  return `<${path}?${query.toString()}>; rel="next"`;
}

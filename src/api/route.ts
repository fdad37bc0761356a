// One admin API route, declared as data: method, path, the operation it performs and on what,
// its body and response schemas, its status. The router decides, validates and answers from
// this declaration alone, and the OpenAPI document is generated from the same table.
import type { IncomingHttpHeaders } from "node:http";
import type { z } from "zod";
import type { Principal } from "../iam/principal.js";
import type { OperationName, Target } from "./decision.js";

export type { OperationName, Target };

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** `?limit=` and `?cursor=` of a list, already checked. */
export interface PageRequest {
  limit: number;
  /** opaque, as the previous page's `next` gave it */
  cursor?: string;
}

/** One page of a list: `next` only when there is more. */
export interface Paged<T> {
  items: T[];
  next?: string;
}

/** What an action gets: who asks, the decoded path parameters, the query, the validated body. */
export interface RouteCall<Body = any> {
  principal: Principal;
  /** path parameters by the names in `Route.path`, percent-decoded */
  params: Record<string, string>;
  query: URLSearchParams;
  body: Body;
  /** set on list routes */
  page: PageRequest;
  /** request headers (none in-process) */
  headers: IncomingHttpHeaders;
  /** the client's address, for audit records (none in-process) */
  address?: string;
  /** adds a response header (e.g. Set-Cookie); ignored in-process */
  setHeader(name: string, value: string | string[]): void;
}

export interface Route<Body = any> {
  method: HttpMethod;
  /** under /api/v1, each `{param}` one percent-encoded segment: `/tenancies/{ns}/users/{user}` */
  path: string;
  /** one line for the OpenAPI document and docs/API.md */
  summary: string;
  /**
   * Who may call it. `public`: anyone, unauthenticated (the OpenAPI document, signing in);
   * `authenticated`: any signed-in principal, no decision (whoami, one's own session);
   * otherwise the operation decided on `target` once, by the router, before the action runs.
   */
  access:
    | "public"
    | "authenticated"
    | { operation: OperationName | ((call: TargetFacts<Body>) => OperationName); target: (call: TargetFacts<Body>) => Target };
  /** query parameters the route reads besides a list's `limit` and `cursor`, for the OpenAPI document */
  query?: { name: string; description: string }[];
  /** zod schema of the JSON body; a body that fails it is 400 INVALID before anything runs */
  body?: z.ZodType<Body>;
  /** zod schema of `data` on success (for a list: of one item); documents the answer */
  response?: z.ZodType;
  /** a cursor-paginated list: the action returns Paged<item> */
  list?: boolean;
  status: 200 | 201 | 202 | 204;
  /** answered as it is, without `{"data": …}` (the OpenAPI document, which tools read directly) */
  raw?: boolean;
  action(call: RouteCall<Body>): Promise<unknown>;
}

/** What a route's target is found from: the path and the body, never a database read. */
export interface TargetFacts<Body = any> {
  params: Record<string, string>;
  body: Body;
  principal: Principal;
}

// The admin API under /api/v1, one function for every caller: `execute` routes a request, checks
// who asks, validates the body, takes the route's decision once, runs the action and answers with
// the envelope. HTTP (http.ts) and the offline CLI (`dispatch`, contract §2) both go through it.
import type { IncomingHttpHeaders } from "node:http";
import type { Logger } from "pino";
import type { z } from "zod";
import type { AdminServices } from "../admin/services.js";
import type { Authorization } from "../authz/index.js";
import { ANONYMOUS, type Principal } from "../iam/principal.js";
import { ApiError, failure, internalFailure, success, type Answer } from "./envelope.js";
import { pageRequest } from "./pagination.js";
import type { Paged, Route, RouteCall } from "./route.js";
import { Router } from "./router.js";
import { adminRoutes } from "./routes.js";

/** One request to the API, however it arrived. */
export interface ApiRequest {
  method: string;
  /** below /api/v1, raw (percent-encoded) */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  address?: string;
  /** who asks; asked only for routes that are not public */
  principal(): Promise<Principal>;
  /** the parsed JSON body (undefined when none); read only once the caller is known */
  body(): Promise<unknown>;
}

/** In-process use (the offline CLI): the same routing, decision, validation and envelope as HTTP. */
export interface DispatchCall {
  method: string;
  path: string;
  query?: Record<string, string>;
  body?: unknown;
}

export interface AdminApiOptions {
  /** routes of other modules (the console session routes), placed before the admin routes */
  extraRoutes?: readonly Route[];
  log?: Logger;
}

export const API_PREFIX = "/api/v1";

export class AdminApi {
  readonly routes: readonly Route[];
  private readonly router: Router;
  private readonly authz: Authorization;

  constructor(
    services: AdminServices,
    private readonly options: AdminApiOptions = {},
  ) {
    this.authz = services.ctx.authz;
    this.routes = [...(options.extraRoutes ?? []), ...adminRoutes(services, () => this.routes)];
    this.router = new Router(this.routes);
  }

  async dispatch(principal: Principal, call: DispatchCall): Promise<{ status: number; body: unknown }> {
    const path = call.path.startsWith(API_PREFIX) ? call.path.slice(API_PREFIX.length) : call.path;
    const { status, body } = await this.execute({
      method: call.method.toUpperCase(),
      path,
      query: new URLSearchParams(call.query ?? {}),
      headers: {},
      principal: async () => principal,
      body: async () => call.body,
    });
    return { status, body };
  }

  /** Every failure is an answer (a fault of ours is logged and answered 500); throws only when the client went away. */
  async execute(request: ApiRequest): Promise<Answer> {
    const headers: Record<string, string | string[]> = {};
    try {
      const { route, params } = this.router.match(request.method, request.path);
      let principal: Principal = ANONYMOUS;
      if (route.access !== "public") {
        principal = await request.principal();
        if (principal.kind === "anonymous") throw unauthorized();
      }
      const body = route.body ? validate(route.body, (await request.body()) ?? {}) : undefined;
      if (typeof route.access === "object") {
        // The route's one decision; a denial is audited there, once.
        const { operation, target } = route.access;
        const facts = { params, body, principal };
        await this.authz.require(principal, typeof operation === "function" ? operation(facts) : operation, target(facts), { address: request.address });
      }
      const call: RouteCall = {
        principal,
        params,
        query: request.query,
        body,
        page: route.list ? pageRequest(request.query) : { limit: 0 },
        headers: request.headers,
        address: request.address,
        setHeader: (name, value) => {
          headers[name] = value;
        },
      };
      const result = await route.action(call);
      const answer = route.raw
        ? { status: route.status, body: result, headers: {} }
        : route.list
          ? success(route.status, (result as Paged<unknown>).items, (result as Paged<unknown>).next)
          : success(route.status, result);
      return { ...answer, headers: { ...headers, ...answer.headers } };
    } catch (err) {
      const answer = failure(err, this.options.log);
      if (answer) {
        if (answer.status === 401) answer.headers["WWW-Authenticate"] = BASIC_CHALLENGE;
        return answer;
      }
      // A client that went away is the HTTP layer's to handle (no answer, no alarm).
      if ((err as NodeJS.ErrnoException | null)?.code === "ECONNRESET") throw err;
      this.options.log?.error({ err, method: request.method, path: request.path.slice(0, 200) }, "admin API request failed");
      return internalFailure();
    }
  }
}

export const BASIC_CHALLENGE = 'Basic realm="berth"';

export function unauthorized(message = "log in with HTTP Basic: <namespace>/<user> and an auth token"): ApiError {
  return new ApiError("UNAUTHORIZED", 401, message, undefined, { "WWW-Authenticate": BASIC_CHALLENGE });
}

function validate<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ field: i.path.join("."), message: i.message }));
  const first = issues[0]!;
  throw new ApiError("INVALID", 400, first.field ? `"${first.field}": ${first.message}` : `request body: ${first.message}`, { issues });
}

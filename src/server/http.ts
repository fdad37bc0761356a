// HTTP assembly: request ids, routing, authorization, error mapping and the access log.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Logger } from "pino";
import type { Authorization } from "../authz/authorization.js";
import type { RequestAuthorizer } from "../authz/requests.js";
import type { AuditLog } from "../iam/audit.js";
import { hasBody, type HandlerContext } from "../distribution/context.js";
import { internalError, statusOf, writeError } from "../distribution/errors.js";
import { matchRoute } from "../distribution/routes.js";
import { faultOf, RegistryError } from "../registry/errors.js";
import type { Registry } from "../registry/registry.js";
import { requireRepositoryName } from "../registry/validate.js";
import type { RequestFacts, RequestObserver } from "./access-log.js";
import { closeAfterAnswer } from "./early-close.js";
import type { ConnectionLimits } from "./limits.js";
import type { RequestKind } from "./metrics.js";

/** Serves a path outside /v2/ (token endpoint, admin API); false when the path is not its own. */
export type ExtraHandler = (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams, facts: RequestFacts) => Promise<boolean>;

export interface HttpDeps {
  registry: Registry;
  /** decides each /v2 request's declared operations before its handler */
  requests: RequestAuthorizer;
  /** the one decision, for the handlers' listings (catalog, mount candidates) */
  authz: Authorization;
  log: Logger;
  /** the access log and the request metrics; absent when both are off */
  observer?: RequestObserver;
  /** records who changed which repository; absent in an open registry */
  audit?: AuditLog;
  extra: ExtraHandler[];
  /** body timeout and connections per address; none when absent */
  limits?: ConnectionLimits;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Every request is isolated: whatever its handling throws or rejects with ends that request (500
 * with the error envelope, or a cut connection once its answer has started), never the process.
 */
export function createRequestListener(deps: HttpDeps): RequestListener {
  // Node reports a write after the end as an "error" event; unheard, it would end the process.
  const responseError = (err: Error) => deps.log.warn({ err: err.message }, "response error");
  return (req, res) => {
    res.on("error", responseError);
    handle(deps, req, res).catch((err: unknown) => lastResort(deps.log, req, res, err));
  };
}

async function handle(deps: HttpDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const incomingId = req.headers["x-request-id"];
  const id = typeof incomingId === "string" && REQUEST_ID.test(incomingId) ? incomingId : randomUUID();
  const started = performance.now();
  res.setHeader("X-Request-Id", id);
  res.setHeader("Docker-Distribution-API-Version", "registry/2.0");
  const facts: RequestFacts = { kind: "unknown", repository: undefined, user: undefined };
  deps.observer?.watch(id, req, res, started, facts);
  const head = req.method === "HEAD";
  const body = hasBody(req);
  try {
    if (deps.limits) {
      if (deps.limits.isOver(req.socket)) throw tooManyConnections();
      if (body) deps.limits.watchBody(req, res);
    }
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    if (!path.startsWith("/v2")) {
      deps.observer?.routed(facts, kindOutsideV2(path));
      const query = new URLSearchParams(q < 0 ? "" : url.slice(q + 1));
      for (const extra of deps.extra) if (await extra(req, res, path, query, facts)) return;
    }
    const match = matchRoute(path);
    if (!match) throw new RegistryError("NAME_UNKNOWN", "no such endpoint", { path: path.slice(0, 200) }, 404);
    deps.observer?.routed(facts, match.route.kind);
    const method = match.route.methods[req.method ?? ""];
    if (!method) {
      throw new RegistryError("UNSUPPORTED", `method ${req.method} not allowed here`, undefined, 405, {
        Allow: Object.keys(match.route.methods).join(", "),
      });
    }
    if (match.route.hasName) {
      requireRepositoryName(match.name);
      facts.repository = match.name;
    }
    const query = new URLSearchParams(q < 0 ? "" : url.slice(q + 1));
    const { principal, granted } = await deps.requests.authorize(req, method.access(match.name, query));
    facts.user = principal.name;
    const ctx: HandlerContext = {
      req,
      res,
      query,
      name: match.name,
      ref: match.ref,
      registry: deps.registry,
      authz: deps.authz,
      principal,
      granted,
      log: deps.log,
    };
    await method.handle(ctx);
    if (method.audit && deps.audit) {
      // In the principal's tenancy (an operator's change goes to the operators' log).
      const tenancy = principal.kind === "user" ? principal.tenancy : match.name.split("/")[0]!;
      deps.audit.record({ actor: principal, action: method.audit, target: `${match.name}@${match.ref}`, outcome: "ok", tenancy });
    }
  } catch (err) {
    fail(deps.log, id, req, res, err, head);
  } finally {
    // A body left unread (refused, or ignored by a handler that failed) must not be parsed as the
    // next request: the connection closes once answered.
    if (body && !req.complete) closeAfterAnswer(req, res);
  }
}

function tooManyConnections(): RegistryError {
  return new RegistryError("TOOMANYREQUESTS", "too many connections from your address; close some and try again", undefined, 429, {
    Connection: "close",
    "Retry-After": "1",
  });
}

function fail(log: Logger, id: string, req: IncomingMessage, res: ServerResponse, err: unknown, head: boolean): void {
  if (res.writableEnded) {
    // Already answered (a stalled body's 408): what failed is the handler that waited for it.
    log.debug({ req: id, err: (err as Error)?.message }, "request ended after its answer");
    return;
  }
  if (clientWentAway(req, err)) {
    log.info({ req: id }, "client closed the connection mid-request");
    res.destroy();
    return;
  }
  let error: RegistryError;
  const fault = err instanceof RegistryError ? undefined : faultOf(err);
  if (err instanceof RegistryError) {
    error = err;
  } else if (fault) {
    // A refusal (a tenancy's repository limit) is the client's business, not an operator's alarm.
    if (statusOf(fault) < 500) log.info({ req: id, code: fault.code }, fault.message);
    else log.error({ req: id, err }, fault.message);
    error = fault;
  } else {
    log.error({ req: id, err }, "request failed");
    error = internalError();
  }
  if (res.headersSent) {
    // The status line is gone; the only honest signal left is a broken connection.
    log.warn({ req: id, code: error.code }, "error after the response started; closing the connection");
    res.destroy();
    return;
  }
  if (statusOf(error) >= 500) log.error({ req: id, code: error.code }, error.message);
  // Unread request bytes would otherwise be parsed as the next request.
  if (!req.complete && hasBody(req)) closeAfterAnswer(req, res);
  writeError(res, error, head);
}

/** When even answering failed: log it and cut the connection. Never throws. */
function lastResort(log: Logger, req: IncomingMessage, res: ServerResponse, err: unknown): void {
  try {
    log.error({ err, method: req.method }, "request handling failed while answering an error");
  } catch {
    // a logger that throws must not take the process down either
  }
  try {
    res.destroy();
    (req.socket as Socket | null)?.destroy();
  } catch {
    // already gone
  }
}

function clientWentAway(req: IncomingMessage, err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null | undefined)?.code;
  // Not `req.destroyed`: a request body read to its end is destroyed too, with the client still
  // there. The socket is null once Node has detached it from a request that was destroyed.
  const socket = req.socket as Socket | null;
  return !socket || socket.destroyed || code === "ECONNRESET" || code === "ERR_STREAM_PREMATURE_CLOSE" || code === "ECONNABORTED";
}

const PROBES = new Map<string, RequestKind>([["/healthz", "healthz"], ["/readyz", "readyz"], ["/metrics", "metrics"]]);

function kindOutsideV2(path: string): RequestKind {
  if (path.startsWith("/auth/")) return "token";
  if (path.startsWith("/api/")) return "api";
  if (path.startsWith("/console")) return "console";
  return PROBES.get(path) ?? "unknown";
}

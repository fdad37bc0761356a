// HTTP assembly: request ids, routing, authorization, error mapping and the access log.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { Authorizer } from "../auth/authorizer.js";
import type { AuditLog } from "../iam/audit.js";
import type { HandlerContext } from "../distribution/context.js";
import { internalError, statusOf, writeError } from "../distribution/errors.js";
import { matchRoute } from "../distribution/routes.js";
import { faultOf, RegistryError } from "../registry/errors.js";
import type { Registry } from "../registry/registry.js";
import { requireRepositoryName } from "../registry/validate.js";
import type { RequestFacts, RequestObserver } from "./access-log.js";
import type { RequestKind } from "./metrics.js";

/** Serves a path outside /v2/ (token endpoint, admin API); false when the path is not its own. */
export type ExtraHandler = (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams) => Promise<boolean>;

export interface HttpDeps {
  registry: Registry;
  authorizer: Authorizer;
  log: Logger;
  /** the access log and the request metrics; absent when both are off */
  observer?: RequestObserver;
  /** records who changed which repository; absent in an open registry */
  audit?: AuditLog;
  extra: ExtraHandler[];
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function createRequestListener(deps: HttpDeps): RequestListener {
  return (req, res) => {
    void handle(deps, req, res);
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
  try {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    if (!path.startsWith("/v2")) {
      deps.observer?.routed(facts, kindOutsideV2(path));
      const query = new URLSearchParams(q < 0 ? "" : url.slice(q + 1));
      for (const extra of deps.extra) if (await extra(req, res, path, query)) return;
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
    const principal = await deps.authorizer.authorize(req, method.access(match.name));
    facts.user = principal.name;
    const ctx: HandlerContext = {
      req,
      res,
      query: new URLSearchParams(q < 0 ? "" : url.slice(q + 1)),
      name: match.name,
      ref: match.ref,
      registry: deps.registry,
      authorizer: deps.authorizer,
      principal,
      authorize: (access) => deps.authorizer.authorize(req, access),
      log: deps.log,
    };
    await method.handle(ctx);
    if (method.audit && deps.audit) {
      deps.audit.record({ actor: principal, action: method.audit, target: `${match.name}@${match.ref}`, outcome: "ok", tenancy: match.name.split("/")[0]! });
    }
  } catch (err) {
    fail(deps.log, id, req, res, err, head);
  }
}

function fail(log: Logger, id: string, req: IncomingMessage, res: ServerResponse, err: unknown, head: boolean): void {
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
    log.error({ req: id, err }, fault.message);
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
  if (!req.complete) res.setHeader("Connection", "close");
  writeError(res, error, head);
}

function clientWentAway(req: IncomingMessage, err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  // Not `req.destroyed`: a request body read to its end is destroyed too, with the client still there.
  return req.socket.destroyed || code === "ECONNRESET" || code === "ERR_STREAM_PREMATURE_CLOSE" || code === "ECONNABORTED";
}

const PROBES = new Map<string, RequestKind>([["/healthz", "healthz"], ["/readyz", "readyz"], ["/metrics", "metrics"]]);

function kindOutsideV2(path: string): RequestKind {
  if (path.startsWith("/auth/")) return "token";
  if (path.startsWith("/api/")) return "api";
  return PROBES.get(path) ?? "unknown";
}

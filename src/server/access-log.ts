// What is recorded when a request ends: its access-log line and its request metrics. The HTTP
// layer fills in RequestFacts as it learns them (route, repository, user); the rest is read from
// the request, the response and the connection when the response closes, whether it finished or
// the connection broke.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Logger } from "pino";
import type { TrustedProxies } from "./client-address.js";
import type { AuthFailure, RequestKind, ServerMetrics } from "./metrics.js";

export interface RequestFacts {
  kind: RequestKind;
  /** the repository of a `/v2/<name>/…` route, once its name is validated */
  repository: string | undefined;
  /** who the request was authorized as; absent when it was refused before, and outside /v2/ */
  user: string | undefined;
}

export interface ObserverOptions {
  log: Logger;
  accessLog: boolean;
  metrics?: ServerMetrics;
  trustedProxies: TrustedProxies;
}

/** Answered health checks and scrapes would drown the log; their failures are logged. */
const QUIET: ReadonlySet<RequestKind> = new Set(["healthz", "readyz", "metrics"]);
const UPLOADS: ReadonlySet<RequestKind> = new Set(["blob_upload", "blob_upload_chunk"]);
/** nginx's status for a client that closed the connection before any response. */
const CLIENT_CLOSED = 499;
const MAX_AGENT = 200;

export class RequestObserver {
  /** what each connection had read and written when its previous request ended */
  private readonly marks = new WeakMap<Socket, { read: number; written: number }>();

  constructor(private readonly options: ObserverOptions) {}

  /** Watches a request from its arrival; `facts` are read when its response closes. */
  watch(id: string, req: IncomingMessage, res: ServerResponse, started: number, facts: RequestFacts): void {
    if (this.options.metrics) this.options.metrics.inFlight += 1;
    res.on("close", () => {
      // Runs in an event listener, where a throw would end the process.
      try {
        this.closed(id, req, res, started, facts);
      } catch (err) {
        this.options.log.error({ req: id, err }, "recording a request failed");
      }
    });
  }

  /** The request's route is known. */
  routed(facts: RequestFacts, kind: RequestKind): void {
    facts.kind = kind;
    if (this.options.metrics && UPLOADS.has(kind)) this.options.metrics.uploadsInProgress += 1;
  }

  private closed(id: string, req: IncomingMessage, res: ServerResponse, started: number, facts: RequestFacts): void {
    const ms = performance.now() - started;
    // What the connection carried since its previous request ended: this request's, headers included.
    const socket = req.socket;
    const read = socket.bytesRead;
    const written = socket.bytesWritten;
    const mark = this.marks.get(socket);
    const bytesIn = read - (mark?.read ?? 0);
    const bytesOut = written - (mark?.written ?? 0);
    if (mark) {
      mark.read = read;
      mark.written = written;
    } else {
      this.marks.set(socket, { read, written });
    }
    const status = res.headersSent ? res.statusCode : CLIENT_CLOSED;
    const aborted = !res.writableFinished;
    const method = req.method ?? "";
    const { metrics, log, accessLog } = this.options;
    if (metrics) {
      metrics.inFlight -= 1;
      if (UPLOADS.has(facts.kind)) metrics.uploadsInProgress -= 1;
      metrics.request(facts.kind, method, status, ms / 1000, bytesIn, bytesOut);
      if (facts.kind === "manifest" && facts.repository !== undefined && !aborted) {
        if (method === "GET" && status === 200) metrics.pulled(facts.repository);
        else if (method === "PUT" && status === 201) metrics.pushed(facts.repository);
      }
      const failure = authFailure(req, res, status);
      if (failure) metrics.authFailed(failure);
    }
    if (!accessLog || (QUIET.has(facts.kind) && status < 400)) return;
    const agent = req.headers["user-agent"];
    log.info(
      {
        req: id,
        method,
        path: redactQuery(req.url),
        route: facts.kind,
        repository: facts.repository,
        status,
        ms: Math.round(ms * 10) / 10,
        bytesIn,
        bytesOut,
        user: facts.user,
        remote: socket.remoteAddress,
        client: this.options.trustedProxies.forwardedClient(req),
        userAgent: agent === undefined ? undefined : agent.slice(0, MAX_AGENT),
        aborted: aborted || undefined,
      },
      "request",
    );
  }

}

/** Why a refused request was refused, from its status and challenge; undefined when it was not. */
function authFailure(req: IncomingMessage, res: ServerResponse, status: number): AuthFailure | undefined {
  if (status === 403) return "denied";
  if (status === 429) return "throttled";
  if (status !== 401) return undefined;
  if (req.headers.authorization === undefined) return "no_credentials";
  const challenge = res.getHeader("www-authenticate");
  return typeof challenge === "string" && challenge.includes('error="insufficient_scope"') ? "insufficient_scope" : "bad_credentials";
}

/** Query strings can carry tokens (the token endpoint); log paths only. */
function redactQuery(url: string | undefined): string {
  if (!url) return "/";
  const q = url.indexOf("?");
  return (q < 0 ? url : url.slice(0, q)).slice(0, 300);
}

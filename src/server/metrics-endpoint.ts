// `GET /metrics`: the machine's metrics in Prometheus text format. Push and pull counts name
// repositories of every tenancy, so with auth on only users of the operator tenancy may read them
// (HTTP Basic with an auth token; a user in no group, which may do nothing else, is enough),
// unless `http.metrics.anonymous` opens them to anyone.
import type { IncomingMessage } from "node:http";
import type { Identity } from "../auth/token-authorizer.js";
import { RegistryError } from "../registry/errors.js";
import type { ExtraHandler } from "./http.js";

const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export interface MetricsAccess {
  /** who is asking; absent in an open registry (auth off), where anyone may read */
  identify?: (req: IncomingMessage) => Promise<Identity>;
  operatorNamespace: string;
  anonymous: boolean;
}

export function metricsEndpoint(text: () => Promise<string>, access: MetricsAccess): ExtraHandler {
  return async (req, res, path) => {
    if (path !== "/metrics") return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      throw new RegistryError("UNSUPPORTED", `method ${req.method} not allowed here`, undefined, 405, { Allow: "GET, HEAD" });
    }
    if (access.identify && !access.anonymous) await requireOperatorTenancy(req, access.identify, access.operatorNamespace);
    const body = await text();
    res.statusCode = 200;
    res.setHeader("Content-Type", CONTENT_TYPE);
    res.setHeader("Content-Length", Buffer.byteLength(body));
    res.setHeader("Cache-Control", "no-store");
    res.end(req.method === "HEAD" ? undefined : body);
    return true;
  };
}

async function requireOperatorTenancy(req: IncomingMessage, identify: NonNullable<MetricsAccess["identify"]>, namespace: string): Promise<void> {
  const { principal, bearer } = await identify(req);
  // Registry tokens carry repository scopes, not this; Prometheus sends Basic.
  if (principal.kind !== "user" || bearer) {
    throw new RegistryError("UNAUTHORIZED", "log in with HTTP Basic: a user of the operator tenancy and an auth token", undefined, 401, {
      "WWW-Authenticate": 'Basic realm="berth"',
    });
  }
  if (principal.tenancy !== namespace) throw new RegistryError("DENIED", "only users of the operator tenancy may read metrics", undefined, 403);
}

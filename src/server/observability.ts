// What a serving process shows about itself: `/healthz`, `/readyz`, `/metrics`, and the access
// log with the request metrics (configured under `http.metrics`, `http.trustedproxies`, `log.accesslog`).
import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import { RequestObserver } from "./access-log.js";
import type { App } from "./assemble.js";
import { TrustedProxies } from "./client-address.js";
import { healthEndpoints, Readiness, storeChecks } from "./health.js";
import type { ExtraHandler } from "./http.js";
import { ServerMetrics } from "./metrics.js";
import { metricsEndpoint } from "./metrics-endpoint.js";
import { answerCollectRequests, machineMetrics, type MachineScope } from "./metrics-gather.js";

/** This process's metrics, when `http.metrics.enabled`; created before the stores, which it times. */
export function openMetrics(config: Config): ServerMetrics | undefined {
  const { enabled, repositories } = config.http.metrics;
  return enabled ? new ServerMetrics({ repositories }) : undefined;
}

export interface Observability {
  /** `/healthz`, `/readyz` and (when enabled) `/metrics`, ahead of the other paths outside /v2/ */
  endpoints: ExtraHandler[];
  /** absent when there is neither an access log nor metrics */
  observer?: RequestObserver;
}

export function observability(config: Config, app: App, log: Logger, metrics: ServerMetrics | undefined, scope: MachineScope): Observability {
  const endpoints = [healthEndpoints(new Readiness(storeChecks(config, app.meta), log))];
  const auth = app.auth;
  if (metrics) {
    const own = () => metrics.json();
    // The supervisor, gathering the machine's metrics, asks each serving process over IPC.
    if (process.send) answerCollectRequests(own);
    endpoints.push(
      metricsEndpoint(machineMetrics(scope, own), {
        identify: auth ? (req) => auth.authorizer.identify(req) : undefined,
        operatorNamespace: config.auth.operator.namespace,
        anonymous: config.http.metrics.anonymous,
      }),
    );
  }
  const accessLog = !config.log.accesslog.disabled;
  const observer =
    accessLog || metrics ? new RequestObserver({ log, accessLog, metrics, trustedProxies: new TrustedProxies(config.http.trustedproxies) }) : undefined;
  return { endpoints, observer };
}

// Starts a serving process's registry from a configuration: the application, its jobs and the
// HTTP(S) server on the socket the supervisor hands over.
import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { loadedOnFirstUse } from "../api/on-first-use.js";
import type { Config } from "../config/config.js";
import { purgeUploadsJob } from "../lifecycle/upload-purger.js";
import { JobRunner } from "../jobs/runner.js";
import { gcJob } from "../lifecycle/run.js";
import { retentionJobOf } from "../lifecycle/retention-job.js";
import { consoleHandler } from "./console.js";
import { assemble, bootstrapOperator, operatorNeverLoggedIn, type App } from "./assemble.js";
import { createRequestListener, type ExtraHandler } from "./http.js";
import { ConnectionLimits } from "./limits.js";
import { describeListenError } from "./listen-address.js";
import type { MachineScope } from "./metrics-gather.js";
import { observability, openMetrics } from "./observability.js";

/** What a bootstrapping start tells the operator. */
export interface Bootstrap {
  /** `<namespace>/<user>` of the operator */
  login: string;
  /** this start created the operator tenancy */
  created: boolean;
  /** the generated first token, when this start created it */
  token?: string;
  /** none of the operator's auth tokens was ever used */
  neverLoggedIn: boolean;
}

export interface RunningServer {
  server: Server;
  /** host:port actually bound */
  address: string;
  app: App;
  /** set when this start bootstrapped (the operator exists from now on) */
  bootstrap?: Bootstrap;
  close(): Promise<void>;
}

export interface StartOptions {
  /** create the operator tenancy if missing, and say how to log in (one process, first start) */
  bootstrap: boolean;
  /**
   * The listening socket (from the supervisor). Asked for only once the server is ready to serve:
   * a handed socket accepts at once, and a connection accepted before the server takes it over
   * would never be answered.
   */
  listener: () => Promise<object>;
  /** how `/metrics` gathers the machine's serving processes (default: this one is alone) */
  metricsScope?: MachineScope;
}

export async function startServer(config: Config, log: Logger, options: StartOptions): Promise<RunningServer> {
  const metrics = openMetrics(config);
  const app = await assemble(config, log, { metrics });

  const observed = observability(config, app, log, metrics, options.metricsScope ?? { kind: "alone" });
  const extra: ExtraHandler[] = [...observed.endpoints];
  if (app.auth) {
    const { tokenEndpoint, authorizer, sessions } = app.auth;
    extra.push((req, res, path, query, facts) => (path.startsWith("/auth/") ? tokenEndpoint.handle(req, res, path, query, facts) : Promise.resolve(false)));
    extra.push(
      loadedOnFirstUse(async () => {
        const [{ servedAdminApi }, { sessionRoutes }] = await Promise.all([import("../api/serve.js"), import("../api/session-routes.js")]);
        return servedAdminApi(app.admin, authorizer, { log, extraRoutes: sessionRoutes(sessions, app.admin.passwords), session: sessions.authenticateSession });
      }),
    );
  }
  if (config.console.enabled) extra.push(consoleHandler({ authEnabled: config.auth.enabled }));
  const http = config.http;
  const limits = new ConnectionLimits(
    { headerTimeout: http.headertimeout, bodyTimeout: http.bodytimeout, perAddress: http.connectionsperaddress },
    log,
  );
  const listener = createRequestListener({
    registry: app.registry,
    requests: app.requests,
    authz: app.authz,
    log,
    observer: observed.observer,
    audit: app.auth ? app.audit : undefined,
    extra,
    limits,
  });
  // Node checks head deadlines on this interval; a tenth of the deadline keeps them within 10%.
  const connectionsCheckingInterval = Math.min(30_000, Math.max(100, Math.round(http.headertimeout / 10) || 30_000));
  const { certificate, key } = http.tls;
  // Created (certificate files read) before the operator is bootstrapped: a start that fails
  // here creates nothing.
  const server: Server =
    certificate && key
      ? createHttpsServer({ cert: readFileSync(certificate), key: readFileSync(key), connectionsCheckingInterval }, listener)
      : createHttpServer({ connectionsCheckingInterval }, listener);
  limits.attach(server, Boolean(certificate && key));
  server.keepAliveTimeout = 75_000;

  const bootstrap = app.auth && options.bootstrap ? await bootstrap_(app) : undefined;

  // Every serving process runs the runner; the leases in the database pick one for each run.
  const runner = new JobRunner(app.jobs, log, { lease: config.jobs.lease, poll: config.jobs.lease });
  const purging = config.storage.maintenance.uploadpurging;
  if (purging.enabled) runner.start(purgeUploadsJob(app.registry.uploads, purging.age, purging.interval, Date.now, log));
  if (config.gc.enabled) runner.start(gcJob(app, log));
  if (config.retention.enabled) runner.start(retentionJobOf(app, log));

  // Nothing may await between receiving the socket and listening on it (see StartOptions).
  const handed = await options.listener();
  await new Promise<void>((resolve, reject) => {
    const failed = (err: Error) => reject(describeListenError(err, config.http.addr));
    server.once("error", failed);
    server.listen(handed, () => {
      server.off("error", failed);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const address = `${bound.family === "IPv6" ? `[${bound.address}]` : bound.address}:${bound.port}`;

  return {
    server,
    address,
    app,
    bootstrap,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // In-flight requests get a grace period, then their connections are cut.
        setTimeout(() => server.closeAllConnections(), 10_000).unref();
      });
      await runner.stop();
      await app.close();
    },
  };
}

async function bootstrap_(app: App): Promise<Bootstrap> {
  const created = await bootstrapOperator(app);
  const { namespace, user } = app.config.auth.operator;
  return {
    login: `${namespace}/${user}`,
    created: created !== undefined,
    token: created?.token,
    neverLoggedIn: created === undefined && (await operatorNeverLoggedIn(app)),
  };
}

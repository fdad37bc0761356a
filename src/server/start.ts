// Starts a registry from a configuration: the application, its jobs and the HTTP(S) server.
import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Server as NetServer } from "node:net";
import type { Logger } from "pino";
import { AdminApi } from "../api/admin-api.js";
import type { Config } from "../config/config.js";
import { purgeUploadsJob } from "../gc/upload-purger.js";
import { JobRunner } from "../jobs/runner.js";
import { assemble, bootstrapOperator, type App } from "./assemble.js";
import { createRequestListener, type ExtraHandler } from "./http.js";

export interface RunningServer {
  server: Server;
  /** host:port actually bound */
  address: string;
  app: App;
  /** the operator's login and first token, when this start bootstrapped them */
  bootstrap?: { login: string; token?: string };
  close(): Promise<void>;
}

export interface StartOptions {
  /** create the operator tenancy on first start (the first process of several does it) */
  bootstrap: boolean;
  /**
   * Accept on the socket this gives (a worker's, from the first process) instead of binding
   * `http.addr`. Asked for only once the server is ready to serve: a handed socket accepts at once,
   * and a connection accepted before the server takes it over would never be answered.
   */
  listener?: () => Promise<NetServer>;
}

export async function startServer(config: Config, log: Logger, options: StartOptions = { bootstrap: true }): Promise<RunningServer> {
  const app = await assemble(config, log);
  const bootstrap = app.auth && options.bootstrap ? await bootstrapOperator(app) : undefined;

  // Every serving process runs the runner; the leases in the database pick one for each run.
  const runner = new JobRunner(app.jobs, log, { lease: config.jobs.lease, poll: config.jobs.lease });
  const purging = config.storage.maintenance.uploadpurging;
  if (purging.enabled) runner.start(purgeUploadsJob(app.registry.uploads, purging.age, purging.interval, Date.now, log));

  const extra: ExtraHandler[] = [];
  if (app.auth) {
    const { tokenEndpoint, authorizer } = app.auth;
    const api = new AdminApi(app.admin, authorizer);
    extra.push((req, res, path, query) => (path.startsWith("/auth/") ? tokenEndpoint.handle(req, res, path, query) : Promise.resolve(false)));
    extra.push((req, res, path, query) => api.handle(req, res, path, query));
  }
  const listener = createRequestListener({
    registry: app.registry,
    authorizer: app.authorizer,
    log,
    accessLog: !config.log.accesslog.disabled,
    audit: app.auth ? app.audit : undefined,
    extra,
  });
  const { certificate, key } = config.http.tls;
  const server: Server =
    certificate && key
      ? createHttpsServer({ cert: readFileSync(certificate), key: readFileSync(key) }, listener)
      : createHttpServer(listener);
  // Large blobs take as long as they take; only idle or header-less connections are cut.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 75_000;

  const [host, port] = splitHostPort(config.http.addr);
  // Nothing may await between receiving a handed socket and listening on it (see StartOptions).
  const handed = options.listener ? await options.listener() : undefined;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    const listening = () => {
      server.off("error", reject);
      resolve();
    };
    if (handed) server.listen(handed, listening);
    else server.listen(port, host, listening);
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

function splitHostPort(addr: string): [string, number] {
  const colon = addr.lastIndexOf(":");
  const host = addr.slice(0, colon).replace(/^\[|\]$/g, "");
  return [host === "" ? "0.0.0.0" : host, Number(addr.slice(colon + 1))];
}

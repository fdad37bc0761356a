// A serving process: the single process of a small deployment, or one worker of a cluster (then
// this module is the worker's entry point and its configuration comes from the primary).
import cluster from "node:cluster";
import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import { createLogger } from "./logger.js";
import { WORKER_CONFIG, WORKER_INDEX } from "./serve.js";
import { startServer } from "./start.js";

/** Serves until a signal. Index 0 also bootstraps and runs the scheduled jobs. */
export async function serveHere(config: Config, index: number): Promise<void> {
  const base = createLogger(config.log.level);
  const log = cluster.isWorker ? base.child({ worker: index }) : base;
  const running = await startServer(config, log, { bootstrap: index === 0, jobs: index === 0 });
  if (running.bootstrap) announceBootstrap(running.bootstrap, running.address, log);
  const scheme = config.http.tls.certificate ? "https" : "http";
  log.info({ addr: running.address, scheme, root: config.storage.filesystem.rootdirectory, auth: config.auth.enabled }, "listening");
  process.send?.({ type: "listening", address: running.address });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    running.close().then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

/** The operator's first token is shown once, on the terminal, never in the log stream. */
function announceBootstrap(bootstrap: { login: string; token?: string }, address: string, log: Logger): void {
  log.info({ login: bootstrap.login }, "created the operator tenancy and its administrator");
  if (!bootstrap.token) return;
  const host = address.startsWith("0.0.0.0") ? `localhost${address.slice(7)}` : address;
  const [namespace, user] = bootstrap.login.split("/");
  process.stderr.write(
    [
      "",
      "  Berth created the operator tenancy. Log in once with this auth token; it is not shown again:",
      "",
      `    docker login ${host} -u ${bootstrap.login} -p ${bootstrap.token}`,
      "",
      "  Keep it safe (it is stored only as a hash), or delete it and create another with",
      `  \`berth iam auth-token create --tenancy ${namespace} --user ${user}\`.`,
      "",
      "",
    ].join("\n"),
  );
}

// Entry point of a cluster worker.
if (cluster.isWorker && process.env[WORKER_CONFIG]) {
  const config = JSON.parse(process.env[WORKER_CONFIG]!) as Config;
  serveHere(config, Number(process.env[WORKER_INDEX] ?? "0")).catch((err) => {
    process.stderr.write(`berth worker: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}

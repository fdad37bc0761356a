// A serving process. Worker 0 is the process `berth serve` started: it binds the address,
// migrates and bootstraps, then starts the other workers (`extraWorkers`) and hands
// them its listening socket. Workers 1..n run this module as their entry point.
import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import { keepOldGenerationSmall } from "./heap.js";
import { createLogger } from "./logger.js";
import { startServer } from "./start.js";
import { receiveListener, startWorkers, WORKER_CONFIG, WORKER_INDEX, type WorkerPool } from "./worker-pool.js";

/** Serves until a signal. Index 0 also bootstraps and starts the others; every index runs the leased jobs. */
export async function serveHere(config: Config, index: number, extraWorkers = 0): Promise<void> {
  keepOldGenerationSmall();
  const base = createLogger(config.log.level);
  const log = index > 0 || extraWorkers > 0 ? base.child({ worker: index }) : base;
  const listener = index > 0 ? receiveListener : undefined;
  const running = await startServer(config, log, { bootstrap: index === 0, listener });
  if (running.bootstrap) announceBootstrap(running.bootstrap, running.address, log);
  if (index === 0) {
    const scheme = config.http.tls.certificate ? "https" : "http";
    log.info({ addr: running.address, scheme, root: config.storage.filesystem.rootdirectory, auth: config.auth.enabled }, "listening");
  }
  let workers: WorkerPool | undefined;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    Promise.all([workers?.stop(), running.close()]).then(
      () => process.exit(),
      (err) => {
        log.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  if (index > 0) {
    // Worker 0 went away (even by SIGKILL): this worker must not serve on alone.
    process.on("disconnect", () => stop("disconnect"));
    process.send!({ type: "listening" });
  }
  if (extraWorkers > 0) {
    // Set before any await: a stop from now on stops the workers still starting too.
    workers = startWorkers(config, extraWorkers, running.server, (level, fields, msg) => log[level](fields, msg));
    try {
      await workers.started;
    } catch (err) {
      if (stopping) return;
      log.fatal({ err: (err as Error).message }, "could not start the workers");
      process.exitCode = 1;
      stop("startup failure");
    }
  }
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

// Entry point of workers 1..n.
if (process.send && process.env[WORKER_CONFIG]) {
  const config = JSON.parse(process.env[WORKER_CONFIG]!) as Config;
  serveHere(config, Number(process.env[WORKER_INDEX] ?? "0")).catch((err) => {
    process.stderr.write(`berth worker: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}

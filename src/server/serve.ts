// `berth serve`: one process, or a cluster of worker processes sharing the listening socket so
// every core serves requests. Everything workers share lives in the stores (metadata database,
// blob store); per-process state is only caches and buffers (see docs/ARCHITECTURE.md).
import cluster from "node:cluster";
import { availableParallelism } from "node:os";
import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import { assemble, bootstrapOperator } from "./assemble.js";
import { createLogger } from "./logger.js";
import { startServer, type RunningServer } from "./start.js";

export function workerCount(config: Config): number {
  if (config.storage.driver === "inmemory") return 1; // memory is per process: one process only
  const wanted = config.http.workers;
  return wanted === "auto" ? Math.min(availableParallelism(), 8) : wanted;
}

export async function serve(config: Config): Promise<void> {
  const log = createLogger(config.log.level);
  const workers = workerCount(config);
  if (workers === 1) return serveHere(config, log, { bootstrap: true, jobs: true });
  if (cluster.isPrimary) return runPrimary(config, log, workers);
  const index = Number(process.env.BERTH_WORKER_INDEX ?? "0");
  return serveHere(config, log.child({ worker: index }), { bootstrap: false, jobs: index === 0 });
}

async function serveHere(config: Config, log: Logger, options: { bootstrap: boolean; jobs: boolean }): Promise<void> {
  const running = await startServer(config, log, options);
  if (running.bootstrap) announceBootstrap(running.bootstrap, running.address, log);
  const scheme = config.http.tls.certificate ? "https" : "http";
  log.info({ addr: running.address, scheme, root: config.storage.filesystem.rootdirectory, auth: config.auth.enabled }, "listening");
  onSignals(log, () => running.close());
}

/** The primary migrates and bootstraps once, then keeps `count` workers alive. */
async function runPrimary(config: Config, log: Logger, count: number): Promise<void> {
  const app = await assemble(config, log);
  try {
    const bootstrap = app.auth ? await bootstrapOperator(app) : undefined;
    if (bootstrap) announceBootstrap(bootstrap, config.http.addr, log);
  } finally {
    await app.close();
  }
  let stopping = false;
  const fork = (index: number) => {
    const worker = cluster.fork({ BERTH_WORKER_INDEX: String(index) });
    worker.on("exit", (code, signal) => {
      if (stopping) return;
      log.error({ worker: index, code, signal }, "worker died; starting another");
      setTimeout(() => fork(index), 1000).unref();
    });
  };
  for (let i = 0; i < count; i++) fork(i);
  log.info({ workers: count }, "started workers");
  onSignals(log, async () => {
    stopping = true;
    const exits = Object.values(cluster.workers ?? {}).map(
      (w) => new Promise<void>((resolve) => (w!.isDead() ? resolve() : (w!.once("exit", () => resolve()), w!.process.kill("SIGTERM")))),
    );
    await Promise.all(exits);
  });
}

function onSignals(log: Logger, close: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    close().then(
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

export type { RunningServer };

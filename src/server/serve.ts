// `berth serve`: a small supervisor that serves no requests. It claims the address (so a port clash
// is reported before anything is created), then runs `http.workers` serving processes on it
// (worker-pool.ts, worker.ts), restarts any that dies, and stops them all on SIGTERM or SIGINT.
// The serving processes share only the stores: no messages pass between them. It loads neither the database nor the
// registry: everything that serves lives in the workers.
import { availableParallelism } from "node:os";
import type { Config } from "../config/config.js";
import { bindAddress, ListenError, type BoundAddress } from "./listen-address.js";
import { createLogger } from "./logger.js";
import { WorkerPool } from "./worker-pool.js";

export function workerCount(config: Config): number {
  if (config.storage.driver === "inmemory") return 1; // memory is per process: one process only
  const wanted = config.http.workers;
  return wanted === "auto" ? Math.min(availableParallelism(), 8) : wanted;
}

export async function serve(config: Config): Promise<void> {
  const log = createLogger(config.log.level);
  let bound: BoundAddress;
  try {
    bound = await bindAddress(config.http.addr);
  } catch (err) {
    if (!(err instanceof ListenError)) throw err;
    process.stderr.write(`berth: ${err.message}\n`);
    process.exit(1);
  }
  const count = workerCount(config);
  const pool = new WorkerPool({
    config,
    count,
    socket: bound.handle,
    log: (level, fields, msg) => log[level](fields, msg),
  });
  // Messages from workers that the supervisor answers are routed with pool.onMessage(type, handler).

  let stopping = false;
  const stop = (reason: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    log.info({ reason }, "shutting down");
    pool.stop().then(
      () => {
        bound.close();
        process.exit(exitCode);
      },
      (err: unknown) => {
        log.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));

  try {
    const address = await pool.startFirst();
    const scheme = config.http.tls.certificate ? "https" : "http";
    log.info({ addr: address || bound.address, scheme, root: config.storage.filesystem.rootdirectory, auth: config.auth.enabled, workers: count }, "listening");
    await pool.startRest();
    log.info({ workers: count }, "started workers");
  } catch (err) {
    if (stopping) return;
    log.fatal({ err: (err as Error).message }, "could not start the serving processes");
    stop("startup failure", 1);
  }
}

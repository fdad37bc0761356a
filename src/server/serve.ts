// `berth serve`: one serving process per core (`http.workers`). Everything processes share lives
// in the stores (metadata database, blob store); per-process state is only caches and buffers
// (see docs/ARCHITECTURE.md).
import { availableParallelism } from "node:os";
import type { Config } from "../config/config.js";
import { serveHere } from "./worker.js";

export function workerCount(config: Config): number {
  if (config.storage.driver === "inmemory") return 1; // memory is per process: one process only
  const wanted = config.http.workers;
  return wanted === "auto" ? Math.min(availableParallelism(), 8) : wanted;
}

/** This process serves (and bootstraps); the other workers are its children. All run the leased jobs. */
export async function serve(config: Config): Promise<void> {
  return serveHere(config, 0, workerCount(config) - 1);
}

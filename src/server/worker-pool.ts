// The extra serving processes of `berth serve` on a machine with several cores. The first
// process serves too: it listens, then forks the others and hands each the listening socket, so
// every process accepts connections from the one socket and no process only dispatches. A
// process that dies is replaced; the others exit when the first one goes. The processes share
// nothing but the stores: no messages pass between them once they serve.
import { fork, type ChildProcess } from "node:child_process";
import type { Server } from "node:net";
import { fileURLToPath } from "node:url";
import type { Config } from "../config/config.js";
import { SERVE_HEAP_FLAG } from "./heap.js";

/** Environment that hands a worker its (already validated) configuration and its index. */
export const WORKER_CONFIG = "BERTH_WORKER_CONFIG";
export const WORKER_INDEX = "BERTH_WORKER_INDEX";

type Log = (level: "info" | "error", fields: Record<string, unknown>, msg: string) => void;

export interface WorkerPool {
  /**
   * Resolves once every worker accepts connections on the socket. Rejects when one could not
   * start (the others are stopped then) or when the pool was stopped first.
   */
  readonly started: Promise<void>;
  /**
   * Stops the workers (SIGTERM: each finishes its requests), those still starting too, and waits
   * for them to exit.
   */
  stop(): Promise<void>;
}

/** Starts workers 1..count on `server`; see `started` for when they accept connections. */
export function startWorkers(config: Config, count: number, server: Server, log: Log): WorkerPool {
  const children = new Map<number, ChildProcess>();
  let stopping = false;

  const start = (index: number) =>
    new Promise<void>((resolve, reject) => {
      const child = fork(fileURLToPath(new URL("./worker.js", import.meta.url)), [], {
        env: { ...process.env, [WORKER_CONFIG]: JSON.stringify(config), [WORKER_INDEX]: String(index) },
        execArgv: [...process.execArgv.filter((a) => !a.startsWith("--max-semi-space-size")), SERVE_HEAP_FLAG],
      });
      children.set(index, child);
      let ready = false;
      child.on("message", (message: { type?: string }) => {
        // The socket goes only to a child that listens for it: an unheard handle would be lost.
        if (message?.type === "ready" && !stopping) {
          child.send({ type: "listen" }, server);
        }
        if (message?.type === "listening") {
          ready = true;
          resolve();
        }
      });
      child.on("exit", (code, signal) => {
        if (children.get(index) === child) children.delete(index);
        if (!ready) return reject(new Error(`worker ${index} exited (${code ?? signal}) before listening`));
        if (stopping) return;
        log("error", { child: index, code, signal }, "worker died; starting another");
        setTimeout(() => {
          if (!stopping) start(index).catch((err: Error) => log("error", { child: index, err: err.message }, "restart failed"));
        }, 1000).unref();
      });
    });

  const stop = async () => {
    stopping = true;
    await Promise.all(
      [...children.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once("exit", () => resolve());
            child.kill("SIGTERM");
          }),
      ),
    );
  };
  const started = Promise.all(Array.from({ length: count }, (_, i) => start(i + 1))).then(
    () => log("info", { workers: count + 1 }, "started workers"),
    async (err: Error) => {
      await stop();
      throw err;
    },
  );
  return { started, stop };
}

/**
 * In a worker: asks the first process for the listening socket and waits for it. The socket
 * accepts connections from the moment it arrives, so ask only when ready to serve, and listen on it
 * without awaiting anything else first.
 */
export function receiveListener(): Promise<Server> {
  return new Promise((resolve) => {
    const onMessage = (message: { type?: string }, handle: unknown) => {
      if (message?.type !== "listen" || !handle) return;
      process.off("message", onMessage);
      resolve(handle as Server);
    };
    process.on("message", onMessage);
    process.send!({ type: "ready" });
  });
}

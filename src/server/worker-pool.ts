// The serving processes of `berth serve`, as the supervisor (serve.ts) runs them: it forks each,
// hands it the listening socket once it is assembled and asks for it, restarts any that dies (with
// a growing delay), and stops them all on request. Every serving process accepts connections from
// the one socket; the kernel gives each connection to one of them.
import { fork, type ChildProcess } from "node:child_process";
import type { Server } from "node:net";
import { fileURLToPath } from "node:url";
import type { Config } from "../config/config.js";
import { SERVE_HEAP_FLAG } from "./heap.js";

/** Environment that hands a worker its (already validated) configuration, index and roles. */
export const WORKER_CONFIG = "BERTH_WORKER_CONFIG";
export const WORKER_INDEX = "BERTH_WORKER_INDEX";
export const WORKER_ROLES = "BERTH_WORKER_ROLES";

/**
 * `bootstrap`: migrates and creates the operator before any other worker starts (first start
 * only). Scheduled jobs need no role: every worker runs them, leased in the database (src/jobs).
 */
export type Role = "bootstrap";

/** First restart delay, and the longest; a worker that lived STABLE_MS starts from FIRST again. */
export const RESTART = { FIRST_MS: 1_000, MAX_MS: 30_000, STABLE_MS: 60_000 };
/** How long a stopping worker may finish its requests before it is killed. */
const STOP_GRACE_MS = 20_000;

/** The delay before restarting a worker that died after living `livedMs`. */
export function restartDelay(previousMs: number | undefined, livedMs: number): number {
  if (previousMs === undefined || livedMs >= RESTART.STABLE_MS) return RESTART.FIRST_MS;
  return Math.min(previousMs * 2, RESTART.MAX_MS);
}

export type WorkerMessage = { type: string } & Record<string, unknown>;
/** What the supervisor does with a message of one type from a worker (e.g. gathering metrics). */
export type WorkerMessageHandler = (message: WorkerMessage, from: ChildProcess) => void;

type Log = (level: "info" | "warn" | "error", fields: Record<string, unknown>, msg: string) => void;

interface Slot {
  child?: ChildProcess;
  /** the child listens on the socket (asking one still starting would only wait for it) */
  serving?: boolean;
  delay?: number;
  timer?: NodeJS.Timeout;
}

export interface PoolOptions {
  config: Config;
  count: number;
  /** the bound listening socket (listen-address.ts) */
  socket: object;
  log: Log;
}

export class WorkerPool {
  private readonly slots = new Map<number, Slot>();
  private readonly handlers = new Map<string, WorkerMessageHandler>();
  private stopping = false;

  constructor(private readonly options: PoolOptions) {}

  /** Routes a worker's messages of `type` to `handler` (the handshake is the pool's). */
  onMessage(type: string, handler: WorkerMessageHandler): void {
    this.handlers.set(type, handler);
  }

  /** The serving processes alive now. */
  children(): ChildProcess[] {
    return [...this.slots.values()].flatMap((slot) => (slot.child ? [slot.child] : []));
  }

  /** The serving processes that accept connections now. */
  serving(): ChildProcess[] {
    return [...this.slots.values()].flatMap((slot) => (slot.child && slot.serving ? [slot.child] : []));
  }

  /** Starts worker 1: it migrates and bootstraps. Resolves with its address once it serves. */
  startFirst(): Promise<string> {
    return this.spawn(1, true);
  }

  /** Starts workers 2..count once the first serves; resolves when all serve. */
  async startRest(): Promise<void> {
    const rest = Array.from({ length: this.options.count - 1 }, (_, i) => this.spawn(i + 2, true));
    await Promise.all(rest);
  }

  /** Stops every worker (SIGTERM: each finishes its requests, then exits) and waits for them. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const slot of this.slots.values()) clearTimeout(slot.timer);
    await Promise.all(this.children().map((child) => stopChild(child)));
  }

  private roles(index: number, first: boolean): Role[] {
    const roles: Role[] = [];
    if (index === 1 && first) roles.push("bootstrap");
    return roles;
  }

  /** Forks worker `index`; resolves with its address once it listens, rejects if it exits first. */
  private spawn(index: number, first: boolean): Promise<string> {
    const { config, socket, log } = this.options;
    const slot = this.slots.get(index) ?? {};
    this.slots.set(index, slot);
    return new Promise((resolve, reject) => {
      const child = fork(fileURLToPath(new URL("./worker.js", import.meta.url)), [], {
        env: {
          ...process.env,
          [WORKER_CONFIG]: JSON.stringify(config),
          [WORKER_INDEX]: String(index),
          [WORKER_ROLES]: this.roles(index, first).join(","),
        },
        execArgv: [...process.execArgv.filter((a) => !a.startsWith("--max-semi-space-size")), SERVE_HEAP_FLAG],
      });
      slot.child = child;
      slot.serving = false;
      let listeningSince: number | undefined;
      child.on("message", (message: WorkerMessage) => {
        if (typeof message?.type !== "string") return;
        if (message.type === "ready") {
          // The socket goes only to a worker that asked: it accepts from the moment it arrives.
          if (this.stopping) return;
          // A worker that died meanwhile cannot take it: its exit is handled below.
          child.send({ type: "listen" }, socket as Server, {}, () => undefined);
        } else if (message.type === "listening") {
          listeningSince = Date.now();
          slot.serving = true;
          resolve(typeof message.address === "string" ? message.address : "");
        } else {
          this.handlers.get(message.type)?.(message, child);
        }
      });
      // Unheard, a failed send or fork would end the supervisor; the exit that follows is what counts.
      child.on("error", (err) => log("warn", { worker: index, err: err.message }, "worker process error"));
      child.on("exit", (code, signal) => {
        if (slot.child === child) {
          slot.child = undefined;
          slot.serving = false;
        }
        if (listeningSince === undefined) reject(new Error(`worker ${index} exited (${code ?? signal}) before serving`));
        if (this.stopping || (first && listeningSince === undefined)) return;
        const lived = listeningSince === undefined ? 0 : Date.now() - listeningSince;
        slot.delay = restartDelay(slot.delay, lived);
        log("error", { worker: index, code, signal, restartInMs: slot.delay }, "worker died; starting another");
        slot.timer = setTimeout(() => {
          if (this.stopping) return;
          this.spawn(index, false).then(
            () => log("info", { worker: index }, "worker restarted"),
            () => undefined, // its exit is handled above: another, later attempt
          );
        }, slot.delay);
      });
    });
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const killer = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
    child.once("exit", () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/**
 * In a worker: asks the supervisor for the listening socket and waits for it. The socket accepts
 * connections from the moment it arrives, so ask only when ready to serve, and listen on it
 * without awaiting anything else first.
 */
export function receiveListener(): Promise<object> {
  return new Promise((resolve) => {
    const onMessage = (message: { type?: string }, handle: unknown) => {
      if (message?.type !== "listen" || !handle) return;
      process.off("message", onMessage);
      resolve(handle as object);
    };
    process.on("message", onMessage);
    process.send!({ type: "ready" });
  });
}

// `/healthz`: the process serves. `/readyz`: it can do its work, i.e. the metadata database
// answers a query and the blob store's directories are there and writable, each within a short
// time. Both are unauthenticated and cheap; their answers name what failed (an error code, never
// a message, which could carry paths), and the log has the whole error when readiness changes.
import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { join } from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import { sqlitePath } from "../config/paths.js";
import type { MetadataStore } from "../metadata/store.js";
import { RegistryError } from "../registry/errors.js";
import type { ExtraHandler } from "./http.js";

/** How long one readiness check may take before it counts as failed. */
export const CHECK_TIMEOUT_MS = 2_000;

export interface ReadinessCheck {
  name: string;
  run(): Promise<unknown>;
}

export interface ReadinessReport {
  ready: boolean;
  /** check name → "ok", or why it failed (an error code or "timed out") */
  checks: Record<string, string>;
}

/** Runs the checks; callers arriving while a round runs share its answer. */
export class Readiness {
  private running: Promise<ReadinessReport> | undefined;
  private wasReady = true;

  constructor(
    private readonly checks: ReadinessCheck[],
    private readonly log: Logger,
    private readonly timeoutMs = CHECK_TIMEOUT_MS,
  ) {}

  check(): Promise<ReadinessReport> {
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(): Promise<ReadinessReport> {
    const failures: Record<string, unknown> = {};
    const results = await Promise.all(
      this.checks.map(async (check) => {
        try {
          await withTimeout(check.run(), this.timeoutMs);
          return [check.name, "ok"] as const;
        } catch (err) {
          failures[check.name] = err;
          return [check.name, reasonOf(err)] as const;
        }
      }),
    );
    const ready = results.every(([, result]) => result === "ok");
    if (ready !== this.wasReady) {
      if (ready) this.log.info("ready again");
      else this.log.warn({ failures: Object.fromEntries(Object.entries(failures).map(([k, e]) => [k, String((e as Error).message ?? e)])) }, "not ready");
      this.wasReady = ready;
    }
    return { ready, checks: Object.fromEntries(results) };
  }
}

/** The metadata database answers a query (and, for SQLite, its file is still where it was); the blob directories are usable. */
export function storeChecks(config: Config, meta: MetadataStore): ReadinessCheck[] {
  const database = config.metadata.driver === "sqlite" ? sqlitePath(config) : undefined;
  const metadata: ReadinessCheck = {
    name: "metadata",
    async run() {
      // An open SQLite connection keeps answering from a deleted file; the path tells.
      if (database !== undefined) await stat(database);
      await meta.repositoryExists("readiness-probe");
    },
  };
  if (config.storage.driver !== "filesystem") return [metadata, { name: "storage", run: async () => undefined }];
  const root = config.storage.filesystem.rootdirectory;
  const usable = constants.R_OK | constants.W_OK | constants.X_OK;
  const storage: ReadinessCheck = {
    name: "storage",
    run: () => Promise.all([access(join(root, "blobs"), usable), access(join(root, "uploads"), usable)]),
  };
  return [metadata, storage];
}

/** Serves `/healthz` and `/readyz` (GET and HEAD). */
export function healthEndpoints(readiness: Readiness): ExtraHandler {
  return async (req, res, path) => {
    if (path !== "/healthz" && path !== "/readyz") return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      throw new RegistryError("UNSUPPORTED", `method ${req.method} not allowed here`, undefined, 405, { Allow: "GET, HEAD" });
    }
    if (path === "/healthz") {
      sendStatus(req, res, 200, { status: "ok" });
      return true;
    }
    const report = await readiness.check();
    sendStatus(req, res, report.ready ? 200 : 503, { status: report.ready ? "ready" : "unready", checks: report.checks });
    return true;
  };
}

function sendStatus(req: IncomingMessage, res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json");
  res.setHeader("Content-Length", Buffer.byteLength(text));
  res.setHeader("Cache-Control", "no-store");
  res.end(req.method === "HEAD" ? undefined : text);
}

function withTimeout(work: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

class TimeoutError extends Error {}

function reasonOf(err: unknown): string {
  if (err instanceof TimeoutError) return err.message;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[A-Z0-9_]{1,40}$/.test(code) ? code : "failed";
}

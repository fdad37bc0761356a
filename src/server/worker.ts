// A serving process of `berth serve`, forked by the supervisor (serve.ts, worker-pool.ts) with its
// configuration, index and roles in the environment. It assembles the application, asks the
// supervisor for the listening socket once ready, and serves until told to stop or until the
// supervisor goes away.
import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import { StartupError } from "../config/startup-error.js";
import { faultOf } from "../registry/errors.js";
import { keepOldGenerationSmall } from "./heap.js";
import { ListenError } from "./listen-address.js";
import { createLogger } from "./logger.js";
import { startServer, type Bootstrap } from "./start.js";
import { receiveListener, WORKER_CONFIG, WORKER_INDEX, WORKER_ROLES, type Role } from "./worker-pool.js";

export async function serveHere(config: Config, index: number, roles: ReadonlySet<Role>): Promise<void> {
  keepOldGenerationSmall();
  const log = createLogger(config.log.level).child({ worker: index });
  exitOnUncaughtFaults(log);
  const running = await startServer(config, log, {
    bootstrap: roles.has("bootstrap"),
    listener: receiveListener,
    metricsScope: { kind: "child" },
  });
  if (running.bootstrap) announceBootstrap(running.bootstrap, running.address, config, log);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    running.close().then(
      () => process.exit(),
      (err) => {
        log.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  // The supervisor went away (even by SIGKILL): this worker must not serve on alone.
  process.on("disconnect", () => stop("disconnect"));
  process.send!({ type: "listening", address: running.address });
}

/**
 * An exception no request caught (a stray event, a callback outside any request) leaves the process
 * in a state nobody knows: half a stream written, a lease held. Log it and exit; the supervisor
 * starts a clean process while the others serve. Requests never get here (http.ts isolates them).
 */
export function exitOnUncaughtFaults(log: Logger): void {
  process.on("uncaughtException", (err, origin) => {
    try {
      log.fatal({ err, origin }, "uncaught exception; exiting so that a clean process replaces this one");
    } finally {
      process.exit(70);
    }
  });
}

/** The operator's first token is shown once, on the terminal, never in the log stream. */
function announceBootstrap(bootstrap: Bootstrap, address: string, config: Config, log: Logger): void {
  const host = address.startsWith("0.0.0.0") ? `localhost${address.slice(7)}` : address;
  const [namespace, user] = bootstrap.login.split("/");
  const create = `berth iam auth-token create --tenancy ${namespace} --user ${user} --offline --root ${config.storage.filesystem.rootdirectory}`;
  if (bootstrap.created) log.info({ login: bootstrap.login }, "created the operator tenancy and its administrator");
  if (bootstrap.token) {
    process.stderr.write(
      [
        "",
        "  Berth created the operator tenancy. Log in once with this auth token; it is not shown again:",
        "",
        `    docker login ${host} -u ${bootstrap.login} -p ${bootstrap.token}`,
        "",
        "  Keep it safe (it is stored only as a hash), or delete it and create another with",
        `  \`${create}\`.`,
        "",
        "",
      ].join("\n"),
    );
  } else if (bootstrap.neverLoggedIn) {
    process.stderr.write(
      [
        "",
        `  The operator ${bootstrap.login} has never logged in. Without its auth token, create one with`,
        "",
        `    ${create}`,
        "",
        `  (give it this server's --config too, if it has one), then log in with`,
        `  \`docker login ${host} -u ${bootstrap.login} -p <token>\`.`,
        "",
        "",
      ].join("\n"),
    );
  }
}

// Entry point of a serving process.
if (process.send && process.env[WORKER_CONFIG]) {
  const config = JSON.parse(process.env[WORKER_CONFIG]!) as Config;
  const roles = new Set((process.env[WORKER_ROLES] ?? "").split(",").filter(Boolean) as Role[]);
  serveHere(config, Number(process.env[WORKER_INDEX] ?? "1"), roles).catch((err) => {
    // A refused address or a backend failing its start-up check is one line for the operator.
    const known = err instanceof ListenError || err instanceof StartupError;
    const full = faultOf(err)?.status === 507;
    const line = known ? err.message : full ? `cannot start: no space left on the disk (${(err as Error).message})` : undefined;
    process.stderr.write(line ? `berth: ${line}\n` : `berth worker: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}

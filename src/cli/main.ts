#!/usr/bin/env node
// The `berth` command. Thin: parse, call, print.
import { Command } from "commander";
import { ConfigError, loadConfig } from "../config/config.js";
import { registerAdminCommands } from "./admin-commands.js";
import type { Logger } from "pino";
import { createLogger } from "../server/logger.js";
import { startServer } from "../server/start.js";

const program = new Command("berth").description("Berth, an OCI container registry").showHelpAfterError();

program
  .command("serve")
  .description("run the registry (defaults: 0.0.0.0:5000, data in ./data)")
  .option("-c, --config <file>", "YAML configuration file (also BERTH_CONFIG)")
  .option("--addr <host:port>", "listen address (http.addr)")
  .option("--root <dir>", "data directory (storage.filesystem.rootdirectory)")
  .option("--tls-cert <file>", "TLS certificate, PEM (http.tls.certificate)")
  .option("--tls-key <file>", "TLS private key, PEM (http.tls.key)")
  .option("--log-level <level>", "trace|debug|info|warn|error (log.level)")
  .action(async (opts: Record<string, string | undefined>) => {
    let config;
    try {
      config = loadConfig({
        file: opts.config,
        flags: {
          "http.addr": opts.addr,
          "storage.filesystem.rootdirectory": opts.root,
          "http.tls.certificate": opts.tlsCert,
          "http.tls.key": opts.tlsKey,
          "log.level": opts.logLevel,
        },
      });
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`berth: ${err.message}\n`);
        process.exit(2);
      }
      throw err;
    }
    const log = createLogger(config.log.level);
    const running = await startServer(config, log);
    const scheme = config.http.tls.certificate ? "https" : "http";
    if (running.bootstrap) announceBootstrap(running.bootstrap, running.address, log);
    log.info({ addr: running.address, scheme, root: config.storage.filesystem.rootdirectory, auth: config.auth.enabled }, "listening");
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
  });

registerAdminCommands(program);

/** The operator's first token is shown once, on the terminal, never in the log stream. */
function announceBootstrap(bootstrap: { login: string; token?: string }, address: string, log: Logger): void {
  log.info({ login: bootstrap.login }, "created the operator tenancy and its administrator");
  if (!bootstrap.token) return;
  const host = address.startsWith("0.0.0.0") ? `localhost${address.slice(7)}` : address;
  process.stderr.write(
    [
      "",
      "  Berth created the operator tenancy. Log in once with this auth token; it is not shown again:",
      "",
      `    docker login ${host} -u ${bootstrap.login} -p ${bootstrap.token}`,
      "",
      "  Keep it safe (it is stored only as a hash), or delete it and create another with",
      `  \`berth iam auth-token create --tenancy ${bootstrap.login.split("/")[0]} --user ${bootstrap.login.split("/")[1]}\`.`,
      "",
      "",
    ].join("\n"),
  );
}

program.parseAsync().catch((err) => {
  process.stderr.write(`berth: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

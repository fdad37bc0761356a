#!/usr/bin/env node
// The `berth` command. Thin: parse, call, print.
import { Command } from "commander";
import { ConfigError, loadConfig } from "../config/config.js";
import { registerAdminCommands } from "./admin-commands.js";
import { StartupError } from "../config/startup-error.js";
import { serve } from "../server/serve.js";

const program = new Command("berth").description("Berth, an OCI container registry").showHelpAfterError();

program
  .command("serve")
  .description("run the registry (defaults: 0.0.0.0:5000, data in ./data)")
  .option("-c, --config <file>", "YAML configuration file (also BERTH_CONFIG)")
  .option("--addr <host:port>", "listen address (http.addr)")
  .option("--root <dir>", "data directory (storage.filesystem.rootdirectory)")
  .option("--tls-cert <file>", "TLS certificate, PEM (http.tls.certificate)")
  .option("--tls-key <file>", "TLS private key, PEM (http.tls.key)")
  .option("--workers <n>", "worker processes, or auto: one per core (http.workers)")
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
          "http.workers": opts.workers,
        },
      });
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`berth: ${err.message}\n`);
        process.exit(2);
      }
      throw err;
    }
    await serve(config);
  });

registerAdminCommands(program);

program.parseAsync().catch((err) => {
  if (err instanceof StartupError) {
    process.stderr.write(`berth: ${err.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`berth: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

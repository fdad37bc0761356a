#!/usr/bin/env node
// The `berth` command. Thin: parse, call, print.
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { ConfigError, loadConfig } from "../config/config.js";
import { faultOf } from "../registry/errors.js";
import { StartupError } from "../config/startup-error.js";
import { CliError, EXIT, exitCodeOf } from "./exit-codes.js";
import { registerLoginCommands } from "./login.js";
import { registerAdminCommands } from "./run.js";
import { registerGcCommands } from "./gc-commands.js";

const { version } = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };

const program = new Command("berth")
  .description("Berth, an OCI container registry")
  .version(version, "-V, --version", "print Berth's version")
  .showHelpAfterError()
  .addHelpText("after", "\nExamples:\n  $ berth serve --root /var/lib/berth\n  $ berth login https://registry.example.com\n  $ berth iam user list --tenancy ourtenant\n")
  // usage errors exit 2 (commander's own message is already printed); help and --version exit 0
  .exitOverride((err) => {
    throw err;
  });

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
  .addHelpText("after", "\nExamples:\n  $ berth serve --root /var/lib/berth\n  $ berth serve --config /etc/berth/config.yml --workers auto\n")
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
        process.exit(EXIT.invalid);
      }
      throw err;
    }
    // Loaded here: the admin verbs (`berth gc` above all) start without the HTTP server.
    const { serve } = await import("../server/serve.js");
    await serve(config);
  });

registerLoginCommands(program);
registerAdminCommands(program);
registerGcCommands(program);

program.parseAsync().catch((err) => {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? EXIT.ok : EXIT.invalid;
    return;
  }
  if (err instanceof CliError) {
    process.stderr.write(`berth: ${err.message}\n`);
    process.exitCode = err.exitCode;
    return;
  }
  if (err instanceof StartupError) {
    process.stderr.write(`berth: ${err.message}\n`);
    process.exit(EXIT.other);
  }
  // a full disk or a locked database (offline): a readable line, not a stack trace
  const fault = faultOf(err);
  if (fault) {
    process.stderr.write(`berth: ${fault.message}\n`);
    process.exit(exitCodeOf(fault.status ?? 500));
  }
  process.stderr.write(`berth: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(EXIT.other);
});

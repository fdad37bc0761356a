// `--offline`: the operator's bootstrap and recovery. Opens the data directory (or the configured
// metadata database) and runs the command's request in-process through the admin API's own
// routing, decision and envelope, as the local operator: the same answer a server would give.
import { AdminApi } from "../api/admin-api.js";
import { sessionRoutes } from "../api/session-routes.js";
import { ConfigError, loadConfig } from "../config/config.js";
import { LOCAL_OPERATOR } from "../iam/principal.js";
import { CliError, EXIT } from "./exit-codes.js";
import { type ApiAnswer, type ApiCall, type Transport } from "./transport.js";

export interface OfflineOptions {
  config?: string;
  root?: string;
}

export async function openOffline(options: OfflineOptions): Promise<Transport> {
  let config;
  try {
    config = loadConfig({ file: options.config, flags: { "storage.filesystem.rootdirectory": options.root } });
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, EXIT.invalid);
    throw err;
  }
  // Loaded on use: `berth serve` and the remote commands must not carry the whole application.
  const { assemble } = await import("../server/assemble.js");
  const { createLogger } = await import("../server/logger.js");
  const log = createLogger("warn");
  const app = await assemble(config, log);
  const api = new AdminApi(app.admin, { log, extraRoutes: sessionRoutes(app.auth?.sessions, app.admin.passwords) });
  return {
    async send(call: ApiCall): Promise<ApiAnswer> {
      return api.dispatch(LOCAL_OPERATOR, { method: call.method, path: call.path, query: call.query, body: call.body });
    },
    close: () => app.close(),
  };
}

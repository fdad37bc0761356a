// Paths derived from a loaded configuration. Apart from config.ts so that serving workers, which
// are handed an already validated configuration, never load its parsers (zod, yaml): about 4 MiB
// less RSS per worker.
import { resolve } from "node:path";
import type { Config } from "./config.js";

export function sqlitePath(config: Config): string {
  return config.metadata.sqlite.path ?? resolve(config.storage.filesystem.rootdirectory, "berth.db");
}

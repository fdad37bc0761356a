import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { it } from "node:test";
import { promisify } from "node:util";

const here = (path: string) => new URL(path, import.meta.url).href;

/**
 * Imports `module` in a fresh process whose module resolution refuses the configuration's parsers;
 * resolves to the error it printed, or "" when the import succeeded.
 */
async function importWithoutParsers(module: string): Promise<string> {
  const hooks = `export async function resolve(specifier, context, next) {
    if (specifier === "zod" || specifier === "yaml") throw new Error("loaded " + specifier);
    return next(specifier, context);
  }`;
  const script = `
    import { register } from "node:module";
    register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});
    try { await import(${JSON.stringify(module)}); } catch (err) { console.log(err.message); }`;
  const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script]);
  return stdout.trim();
}

it("serving workers: the configuration's parsers (zod, yaml) are never loaded", async () => {
  // Workers are handed a validated configuration; the parsers would cost each about 4 MiB.
  const [worker, config] = await Promise.all([
    importWithoutParsers(here("../../src/server/worker.js")),
    importWithoutParsers(here("../../src/config/config.js")),
  ]);
  assert.equal(worker, "", "the serving process's modules import zod or yaml");
  assert.match(config, /loaded (zod|yaml)/, "the check itself sees the parsers being loaded");
});

// The supervisor's own parts: its restart delays, and that it stays small (it never loads the
// database, the registry or the token signing, which only serving processes need).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { it } from "node:test";
import { promisify } from "node:util";
import { RESTART, restartDelay } from "../../src/server/worker-pool.js";

it("restart delays double from 1 s to 30 s, and start over after a worker lived a minute", () => {
  const delays: number[] = [];
  let delay: number | undefined;
  for (let i = 0; i < 8; i++) delays.push((delay = restartDelay(delay, 50)));
  assert.deepEqual(delays, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  assert.equal(restartDelay(30_000, RESTART.STABLE_MS), 1_000);
  assert.equal(restartDelay(30_000, RESTART.STABLE_MS - 1), 30_000);
});

it("the supervisor never loads the database, the registry or token signing", async () => {
  const hooks = `export async function resolve(specifier, context, next) {
    if (["better-sqlite3", "kysely", "jose"].includes(specifier) || specifier.endsWith("/assemble.js")) throw new Error("loaded " + specifier);
    return next(specifier, context);
  }`;
  const script = `
    import { register } from "node:module";
    register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});
    try { await import(${JSON.stringify(new URL("../../src/server/serve.js", import.meta.url).href)}); } catch (err) { console.log(err.message); }
    try { await import(${JSON.stringify(new URL("../../src/server/start.js", import.meta.url).href)}); } catch (err) { console.log(err.message); }`;
  const { stdout } = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script]);
  const lines = stdout.trim().split("\n");
  assert.equal(lines.length, 1, `serve.js loaded something it must not: ${stdout}`);
  assert.match(lines[0]!, /^loaded /, "the check itself sees a serving module load them");
});

// An exception no request caught (a throw in a timer, a promise nobody awaited) ends a serving
// process with a fatal log line and exit status 70, for its supervisor to replace it; the check runs
// in a child process, which is what it ends.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { it } from "node:test";
import { promisify } from "node:util";

async function runFault(fault: string): Promise<{ code: number; stdout: string }> {
  const worker = new URL("../../src/server/worker.js", import.meta.url).href;
  const script = `
    import { pino } from "pino";
    const { exitOnUncaughtFaults } = await import(${JSON.stringify(worker)});
    exitOnUncaughtFaults(pino({ base: undefined }));
    ${fault}
    setTimeout(() => console.log("still running"), 500);`;
  const result = await promisify(execFile)(process.execPath, ["--input-type=module", "-e", script]).catch((e) => e);
  return { code: result.code ?? 0, stdout: result.stdout };
}

it("a throw outside any request: fatal log line, exit status 70", async () => {
  const { code, stdout } = await runFault(`setTimeout(() => { throw new Error("boom in a timer"); }, 10);`);
  assert.equal(code, 70);
  const line = JSON.parse(stdout.trim().split("\n").pop()!);
  assert.equal(line.level, 60);
  assert.equal(line.err.message, "boom in a timer");
  assert.doesNotMatch(stdout, /still running/);
});

it("a rejected promise nobody awaited: the same", async () => {
  const { code, stdout } = await runFault(`Promise.reject(new Error("nobody awaited me"));`);
  assert.equal(code, 70);
  assert.match(stdout, /"origin":"unhandledRejection"/);
  assert.match(stdout, /nobody awaited me/);
});

// A test that needs an external tool skips when it is missing, except under CI=true where a
// missing tool is a failure: CI must prove the real clients work.
import { execFileSync } from "node:child_process";
import type { TestContext } from "node:test";

export function hasTool(name: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Returns true when the tools are present; otherwise skips the test (or throws under CI). */
export function needTools(t: TestContext, ...names: string[]): boolean {
  const missing = names.filter((n) => !hasTool(n));
  if (missing.length === 0) return true;
  const why = `missing tool(s): ${missing.join(", ")}`;
  if (process.env.CI === "true") throw new Error(`${why} (CI=true: .ci/run must install them)`);
  t.skip(why);
  return false;
}

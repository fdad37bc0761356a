// Starts a real Berth process (the `berth serve` CLI) on a free loopback port with its own data
// directory, so tests exercise exactly what a user runs.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const BERTH_MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

export interface RunningRegistry {
  /** host:port, as clients address it (e.g. `127.0.0.1:41234`). */
  host: string;
  /** base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** data directory of this instance. */
  root: string;
  process: ChildProcess;
  /** everything the server printed so far. */
  output(): string;
  close(): Promise<void>;
}

export interface StartOptions {
  /** extra CLI flags after `serve`. */
  args?: string[];
  env?: Record<string, string>;
  /** reuse a data directory (kept on close); a fresh temporary one otherwise (removed on close). */
  root?: string;
  /** `https` when the args configure TLS. */
  scheme?: "http" | "https";
}

/**
 * Set to a base URL (e.g. a load balancer in front of several nodes, test/cluster/), it makes
 * every `startRegistry()` without options answer that registry instead of starting one, so the
 * protocol suite runs unchanged against it.
 */
export const EXTERNAL_REGISTRY = "BERTH_TEST_REGISTRY_URL";

export async function startRegistry(options: StartOptions = {}): Promise<RunningRegistry> {
  const external = process.env[EXTERNAL_REGISTRY];
  if (external && Object.keys(options).length === 0) return externalRegistry(external);
  const ownRoot = options.root === undefined;
  const root = options.root ?? (await mkdtemp(join(tmpdir(), "berth-test-")));
  const child = spawn(
    process.execPath,
    [BERTH_MAIN, "serve", "--addr", "127.0.0.1:0", "--root", root, ...(options.args ?? [])],
    {
      // Open registry unless a test turns auth on: the protocol and client suites test the API itself.
      env: { ...process.env, BERTH_LOG_LEVEL: "info", BERTH_AUTH_ENABLED: "false", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout!.setEncoding("utf8");
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (d: string) => (output += d));
  const addr = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`berth did not start in 20 s:\n${output}`)), 20_000);
    child.stdout!.on("data", (d: string) => {
      output += d;
      const m = /"msg":"listening"[^\n]*"addr":"([^"]+)"/.exec(output) ?? /"addr":"([^"]+)"[^\n]*"msg":"listening"/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`berth exited with ${code} before listening:\n${output}`));
    });
  });
  const scheme = options.scheme ?? "http";
  return {
    host: addr,
    url: `${scheme}://${addr}`,
    root,
    process: child,
    output: () => output,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      if (ownRoot) await rm(root, { recursive: true, force: true });
    },
  };
}

function externalRegistry(url: string): RunningRegistry {
  const base = new URL(url);
  return {
    host: base.host,
    url: base.origin,
    root: "",
    // No process of this test's own: a stand-in that is never running.
    process: { exitCode: 0, signalCode: null, kill: () => false } as unknown as ChildProcess,
    output: () => "",
    close: async () => {},
  };
}

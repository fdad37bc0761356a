// Starts a real Berth process (the `berth serve` CLI) on a free loopback port with its own data
// directory, so tests exercise exactly what a user runs. With BERTH_TEST_STORAGE=s3 its blobs go
// to a fresh bucket on the test gateway (BERTH_TEST_S3_*); the metadata database stays in `root`.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { S3Server } from "./rgw.js";
import { newDatabase } from "./postgres.js";

export const BERTH_MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

export interface RunningRegistry {
  /** host:port, as clients address it (e.g. `127.0.0.1:41234`). */
  host: string;
  /** base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** data directory of this instance. */
  root: string;
  process: ChildProcess;
  /**
   * the metadata settings it was started with (BERTH_TEST_METADATA=postgres: driver and URL), for
   * an offline `berth` command that must open the same database; empty on SQLite
   */
  metadataEnv: Record<string, string>;
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

/** Where the registries of this test process keep their blobs (`BERTH_TEST_STORAGE`). */
export const TEST_STORAGE: "filesystem" | "s3" = testStorage();

function testStorage(): "filesystem" | "s3" {
  const value = process.env.BERTH_TEST_STORAGE ?? "filesystem";
  if (value !== "filesystem" && value !== "s3") throw new Error(`BERTH_TEST_STORAGE=${value}: expected filesystem or s3`);
  return value;
}

interface Storage {
  env: Record<string, string>;
  remove(): Promise<void>;
}

/** A fresh bucket on the run's gateway and the environment that points Berth at it. */
async function s3Storage(): Promise<Storage> {
  if (!process.env.BERTH_TEST_S3_ENDPOINT) {
    // A gateway per test file would cost 10–20 s each; the S3 pass starts one for the whole run.
    throw new Error("BERTH_TEST_STORAGE=s3 needs BERTH_TEST_S3_ENDPOINT (run it through `node dist/test/helpers/s3-pass.js`, as `npm test` does)");
  }
  // Loaded only here, so filesystem runs never load the AWS SDK.
  const { createBucket, removeBucket } = await import("../storage/s3-support.js");
  const { s3ForTests } = await import("./rgw.js");
  const s3 = await s3ForTests();
  const bucket = await createBucket(s3);
  return { env: s3StorageEnv(s3, bucket), remove: () => removeBucket(s3, bucket) };
}

/** Berth's environment for blobs in `bucket` on `s3`. */
export function s3StorageEnv(s3: S3Server, bucket: string): Record<string, string> {
  return {
    BERTH_STORAGE_DRIVER: "s3",
    REGISTRY_STORAGE_S3_REGIONENDPOINT: s3.endpoint,
    REGISTRY_STORAGE_S3_REGION: s3.region,
    REGISTRY_STORAGE_S3_BUCKET: bucket,
    REGISTRY_STORAGE_S3_FORCEPATHSTYLE: "true",
    REGISTRY_STORAGE_S3_ACCESSKEY: s3.accessKey,
    REGISTRY_STORAGE_S3_SECRETKEY: s3.secretKey,
    REGISTRY_STORAGE_S3_ROOTDIRECTORY: "/registry",
    // The smallest part S3 allows, so ordinary test blobs already cross part boundaries.
    REGISTRY_STORAGE_S3_CHUNKSIZE: String(5 * 1024 * 1024),
  };
}

/** PostgreSQL database URLs by data directory (BERTH_TEST_METADATA=postgres). */
const databases = new Map<string, string>();

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
  // A test that names its own storage driver keeps it.
  const storage = TEST_STORAGE === "s3" && options.env?.BERTH_STORAGE_DRIVER === undefined ? await s3Storage() : undefined;
  // BERTH_TEST_METADATA=postgres: each data directory with a PostgreSQL database of its own, kept
  // with it when a test restarts Berth on the same directory.
  const metadata: Record<string, string> = {};
  if (process.env.BERTH_TEST_METADATA === "postgres") {
    if (!databases.has(root)) databases.set(root, await newDatabase());
    Object.assign(metadata, { BERTH_METADATA_DRIVER: "postgres", BERTH_METADATA_POSTGRES_URL: databases.get(root)! });
  }
  const child = spawn(
    process.execPath,
    [BERTH_MAIN, "serve", "--addr", "127.0.0.1:0", "--root", root, ...(options.args ?? [])],
    {
      // Open registry unless a test turns auth on: the protocol and client suites test the API itself.
      env: { ...process.env, BERTH_LOG_LEVEL: "info", BERTH_AUTH_ENABLED: "false", ...storage?.env, ...metadata, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout!.setEncoding("utf8");
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (d: string) => (output += d));
  const listening = new Promise<string>((resolve, reject) => {
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
  let addr: string;
  try {
    addr = await listening;
  } catch (err) {
    await storage?.remove().catch(() => {});
    throw err;
  }
  const scheme = options.scheme ?? "http";
  return {
    host: addr,
    url: `${scheme}://${addr}`,
    root,
    process: child,
    metadataEnv: metadata,
    output: () => output,
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      if (ownRoot) await rm(root, { recursive: true, force: true });
      await storage?.remove();
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
    metadataEnv: {},
    output: () => "",
    close: async () => {},
  };
}

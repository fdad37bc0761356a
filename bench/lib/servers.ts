// Starting and stopping the two registries under test, each fresh, on loopback, in its own data
// directory; CPU time and peak RSS come from /proc.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { processCpu, PssSampler, pssKiB, statusKiB } from "./proc.js";

export type RegistryName = "Berth" | "Distribution";

export interface RunningRegistry {
  name: RegistryName;
  base: string;
  pid: number;
  dataDir: string;
  /** CPU seconds used so far */
  cpu(): number;
  /** VmHWM summed over the process tree, KiB */
  peakRss(): number;
  /** VmRSS summed over the process tree, KiB */
  rss(): number;
  /** highest sampled PSS of the process tree, KiB */
  peakPss(): number;
  /** PSS of the process tree now, KiB */
  pss(): number;
  stop(): Promise<void>;
}

export const DISTRIBUTION_BIN = "/usr/bin/docker-registry";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface BerthOptions {
  mainJs: string;
  dataDir: string;
  /** run under `node --cpu-prof`, writing the profile into this directory at exit */
  cpuProfDir?: string;
  /** extra environment, e.g. to turn token authentication on */
  env?: Record<string, string>;
}

export async function startBerth(opts: BerthOptions): Promise<RunningRegistry> {
  mkdirSync(opts.dataDir, { recursive: true });
  const port = await freePort();
  // Started as `npm start` starts it (the supervisor gives the heap flag to its serving processes).
  const nodeArgs = [...(opts.cpuProfDir ? ["--cpu-prof", "--cpu-prof-dir", opts.cpuProfDir] : [])];
  // A profile covers one process: profile a single serving process (the supervisor, which passes
  // the flags on, writes an idle one of its own).
  const workers = opts.cpuProfDir ? ["--workers", "1"] : [];
  const child = spawn(
    process.execPath,
    [...nodeArgs, opts.mainJs, "serve", "--addr", `127.0.0.1:${port}`, "--root", opts.dataDir, "--log-level", "error", ...workers],
    {
      // Distribution runs without auth; so does Berth, except for row 9 (the cost of auth).
      env: { ...process.env, BERTH_LOG_ACCESSLOG_DISABLED: "true", BERTH_CONFIG: "", BERTH_AUTH_ENABLED: "false", ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  return ready("Berth", child, `http://127.0.0.1:${port}`, opts.dataDir);
}

/** An S3 bucket for a registry under test (path-style, as RGW and MinIO want). */
export interface S3Bucket {
  endpoint: string;
  region: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
}

/** The `rootdirectory` both registries keep their objects under, in buckets of their own. */
const S3_ROOT = "/registry";

/** `startBerth` options for blobs in `b` (the SQLite database stays in the data directory). */
export function berthOnS3(b: S3Bucket): Record<string, string> {
  return {
    BERTH_STORAGE_DRIVER: "s3",
    REGISTRY_STORAGE_S3_REGIONENDPOINT: b.endpoint,
    REGISTRY_STORAGE_S3_REGION: b.region,
    REGISTRY_STORAGE_S3_BUCKET: b.bucket,
    REGISTRY_STORAGE_S3_FORCEPATHSTYLE: "true",
    REGISTRY_STORAGE_S3_ACCESSKEY: b.accessKey,
    REGISTRY_STORAGE_S3_SECRETKEY: b.secretKey,
    REGISTRY_STORAGE_S3_ROOTDIRECTORY: S3_ROOT,
  };
}

/** Distribution on the filesystem under `dataDir`, or with `s3`, on that bucket (redirects off). */
export async function startDistribution(dataDir: string, configDir: string, s3?: S3Bucket): Promise<RunningRegistry> {
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const config = join(configDir, s3 ? "distribution-s3.yml" : "distribution.yml");
  const storage = s3
    ? [
        "  s3:",
        `    regionendpoint: ${s3.endpoint}`,
        `    region: ${s3.region}`,
        `    bucket: ${s3.bucket}`,
        "    forcepathstyle: true",
        `    secure: ${s3.endpoint.startsWith("https:")}`,
        "    v4auth: true",
        `    accesskey: ${s3.accessKey}`,
        `    secretkey: ${s3.secretKey}`,
        `    rootdirectory: ${S3_ROOT}`,
        "  redirect:",
        "    disable: true",
      ]
    : ["  filesystem:", `    rootdirectory: ${dataDir}`];
  // Its own configuration: filesystem storage (or S3), loopback, deletes on, no auth, errors only.
  // The in-memory blob-descriptor cache is on, as in the config.yml Distribution ships.
  writeFileSync(
    config,
    [
      "version: 0.1",
      "log:",
      "  level: error",
      "  accesslog:",
      "    disabled: true",
      "storage:",
      ...storage,
      "  delete:",
      "    enabled: true",
      "  cache:",
      "    blobdescriptor: inmemory",
      "  maintenance:",
      "    uploadpurging:",
      "      enabled: false",
      "http:",
      `  addr: 127.0.0.1:${port}`,
      "",
    ].join("\n"),
    { mode: 0o600 }, // it may hold an S3 secret key
  );
  // With AWS_CA_BUNDLE set (as on these machines), Distribution's AWS SDK panics at start-up.
  const { AWS_CA_BUNDLE: _unset, ...env } = process.env;
  const child = spawn(DISTRIBUTION_BIN, ["serve", config], { env, stdio: ["ignore", "pipe", "pipe"] });
  return ready("Distribution", child, `http://127.0.0.1:${port}`, dataDir);
}

/** Every registry process started and not yet exited. */
const live = new Set<ChildProcess>();

/**
 * Kills every registry still running, at once (SIGKILL). For an interrupted benchmark, whose
 * start-up may still be spawning one while the others stop; also done when this process exits.
 */
export function killAll(): void {
  for (const child of live) child.kill("SIGKILL");
}
process.on("exit", killAll);

async function ready(name: RegistryName, child: ChildProcess, base: string, dataDir: string): Promise<RunningRegistry> {
  live.add(child);
  child.once("exit", () => live.delete(child));
  let output = "";
  const keep = (b: Buffer) => {
    output = (output + b.toString("utf8")).slice(-20_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  let exited: number | null | undefined;
  const exit = new Promise<void>((resolve) =>
    child.once("exit", (code) => {
      exited = code;
      resolve();
    }),
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== undefined) throw new Error(`${name} exited (${exited}) before answering:\n${output}`);
    try {
      const res = await fetch(`${base}/v2/`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      // 401: a Berth with token authentication on is up and asking for a token.
      if (res.status === 200 || res.status === 401) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${name} did not answer GET /v2/ within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const pid = child.pid!;
  const sampler = new PssSampler(pid);
  return {
    name,
    base,
    pid,
    dataDir,
    cpu: () => processCpu(pid),
    peakRss: () => statusKiB(pid, "VmHWM"),
    rss: () => statusKiB(pid, "VmRSS"),
    peakPss: () => sampler.peak(),
    pss: () => pssKiB(pid),
    async stop() {
      sampler.stop();
      if (exited !== undefined) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

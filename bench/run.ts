// `npm run bench [-- --quick]`: Berth side by side with CNCF Distribution on the same workloads,
// one table with both figures and the ratio, plus the machine's bounds. See docs/PERFORMANCE.md.
//
// Options:
//   --quick             tiny sizes and durations (CI smoke): fails only on broken functionality
//   --only 1,4,7        run only these workloads (1 mono push, 2 chunked push, 3 blob GET,
//                       4 manifest GET/HEAD (4get, 4head: one of them), 5 4 KiB blob GET,
//                       6 small images, 7 pages; s: the S3 rows, s1-s5: one of them;
//                       g: garbage collection, gfs / gs3: on the filesystem / on S3;
//                       c: the console's repository page in Chromium)
//   --registries NAMES  berth,distribution (default both)
//   --profile DIR       Berth only, under `node --cpu-prof`; prints the profile's top functions
//   --dir DIR           where the temporary data goes (default: the OS temp dir)
//   --keep              keep the temporary directory
//   --json FILE         also write the results as JSON
//   --no-bounds         skip the machine bounds
//   --gc-images N       rows G: this many images (5 blobs each) instead of 10,000 (S3: 400; quick: 100, S3 10)
//   (full runs, or --only nodes: 1 vs 3 Berth nodes behind haproxy, bench/cluster.ts, at the end)
import { createHash, randomBytes, randomFillSync, type Hash } from "node:crypto";
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { diskWriteSpeed, loopbackSpeed, MiB, sha256Speed, type Bounds } from "./lib/bounds.js";
import {
  ACCEPT_MANIFESTS,
  BenchError,
  Client,
  imageManifest,
  nextPage,
  pool,
  sha256,
  withDigest,
} from "./lib/client.js";
import { clientCpu, run, runOk, treeMemoryKiB, TreeMemorySampler, which } from "./lib/proc.js";
import {
  atLeast,
  atMost,
  below,
  cpuTable,
  fmt,
  median,
  percentile,
  ratioAtLeast,
  ratioAtMost,
  resultsTable,
  type CpuRow,
  type Failure,
  type Row,
} from "./lib/report.js";
import {
  berthOnS3,
  DISTRIBUTION_BIN,
  killAll,
  startBerth,
  startDistribution,
  type RegistryName,
  type RunningRegistry,
  type S3Bucket,
} from "./lib/servers.js";
import { ab, curlDownload, curlUpload, wrk } from "./lib/tools.js";
import { benchBucket, benchGateway, dropBucket, gatewayConfigured, missingGatewayTools, RGW_PACKAGES, type S3Server } from "./lib/s3.js";
import { summarise } from "./cpuprofile.js";
import { GC_FULL, GC_FULL_S3, GC_QUICK, GC_QUICK_S3, gcRows, type GcSizes } from "./gc.js";
import { CONSOLE_FULL, CONSOLE_QUICK, consoleRows } from "./console.js";

interface Sizes {
  big: number;
  reps: number;
  chunk: number;
  loadSeconds: number;
  warmSeconds: number;
  connections: number;
  images: number;
  imageClients: number;
  imageLayer: number;
  /** unmeasured rounds of row 6 before the measured ones */
  imageWarmRounds: number;
  repos: number;
  tags: number;
  page: number;
  seedConcurrency: number;
  probe: number;
  /** S3 rows: the blob of rows S1-S3 and the PATCH size of row S2 (and S5) */
  s3Big: number;
  s3Chunk: number;
  /** row S5: this many chunked pushes at once, each of this size */
  s3MemPushes: number;
  s3MemSize: number;
}

const FULL: Sizes = {
  big: 1024 * MiB,
  reps: 3,
  chunk: 64 * MiB,
  loadSeconds: 20,
  warmSeconds: 2,
  connections: 64,
  images: 200,
  imageClients: 16,
  imageLayer: 16 * 1024,
  imageWarmRounds: 3,
  repos: 10_000,
  tags: 10_000,
  page: 100,
  seedConcurrency: 16,
  probe: 1024 * MiB,
  s3Big: 256 * MiB,
  s3Chunk: 16 * MiB,
  s3MemPushes: 20,
  s3MemSize: 256 * MiB,
};

const QUICK: Sizes = {
  ...FULL,
  big: 64 * MiB,
  chunk: 8 * MiB,
  loadSeconds: 3,
  warmSeconds: 1,
  images: 20,
  imageWarmRounds: 1,
  repos: 500,
  tags: 500,
  probe: 128 * MiB,
  s3Big: 32 * MiB,
  s3Chunk: 8 * MiB,
  s3MemPushes: 4,
  s3MemSize: 32 * MiB,
};

interface Blob {
  file: string;
  digest: string;
  size: number;
}

/** A blob of row 2, in one file per PATCH. */
interface ChunkedBlob {
  files: string[];
  digest: string;
  size: number;
}

interface Reg {
  server: RunningRegistry;
  client: Client;
  /** big blobs pushed (workload 1), reused by the blob GET */
  big: Blob[];
  small?: { manifestPath: string; blobPath: string };
  /** sent with every request (row 9: a bearer token) */
  headers: Record<string, string>;
}

const { values: args } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    registries: { type: "string", default: "berth,distribution" },
    profile: { type: "string" },
    dir: { type: "string" },
    keep: { type: "boolean", default: false },
    json: { type: "string" },
    "no-bounds": { type: "boolean", default: false },
    "gc-images": { type: "string" },
  },
});

const sizes = args.quick ? QUICK : FULL;
const only = args.only ? new Set(args.only.split(",").map((s) => s.trim().toLowerCase())) : undefined;
/** `--only 4` selects workload 4; `--only 4get` / `4head` one half of it. */
const wanted = (n: number, part = "") => !only || only.has(String(n)) || (part ? only.has(`${n}${part}`) : [...only].some((o) => o.startsWith(String(n))));
/** `--only s` selects the S3 rows, `--only s2` one of them. */
/** `--only g` selects both GC rows, `gfs` / `gs3` one. */
const wantedGc = (on: "fs" | "s3") => !only || only.has("g") || only.has(`g${on}`);
const wantedS3 = (n?: number) => !only || only.has("s") || (n === undefined ? [...only].some((o) => o.startsWith("s")) : only.has(`s${n}`));
const names: RegistryName[] = args.profile
  ? ["Berth"]
  : args.registries!.split(",").map((s) => (s.trim().toLowerCase().startsWith("b") ? "Berth" : "Distribution"));

const rows: Row[] = [];
const cpuRows: CpuRow[] = [];
const failures: Failure[] = [];
const regs: Reg[] = [];
const environment: string[] = [];
let loadAtStart: number[] = [];
let workDir = "";
/** the S3 rows' gateway, when this run started one */
let gateway: S3Server | undefined;

const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

async function main(): Promise<void> {
  await ensureTools();
  const mainJs = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
  if (!existsSync(mainJs)) throw new Error(`${mainJs} is missing: run npm run build first`);
  workDir = mkdtempSync(join(args.dir ?? tmpdir(), "berth-bench-"));
  environment.push(...(await describeMachine()));
  log(`${args.quick ? "quick" : "full"} run; data in ${workDir}`);

  let bounds: Bounds | undefined;
  if (!args["no-bounds"] && !args.profile) bounds = await measureBounds();

  const files = prepareFiles();
  loadAtStart = loadavg();

  for (const name of names) {
    const dataDir = join(workDir, name.toLowerCase());
    const server =
      name === "Berth"
        ? await startBerth({ mainJs, dataDir, cpuProfDir: args.profile })
        : await startDistribution(dataDir, workDir);
    regs.push({ server, client: new Client(server.base, 16), big: [], headers: {} });
    log(`${name} pid ${server.pid} at ${server.base}`);
  }

  if (wanted(1)) await step("1", () => monolithicPush(files.mono, bounds));
  if (wanted(2)) await step("2", () => chunkedPush(files.chunked));
  if (wanted(3)) await step("3", () => blobGet(files.mono[0]!));
  if (wanted(4)) await step("4", () => manifestLoad());
  if (wanted(5)) await step("5", () => smallBlobLoad());
  if (wanted(6)) await step("6", () => smallImages());
  if (wanted(7)) await step("7", () => pages());
  peakRss();
  if (wanted(9) && names.includes("Berth")) await step("9", () => authCost(mainJs));
  if (!only || only.has("c")) await step("C", async () => void rows.push(...(await consoleRows({ mainJs, workDir, sizes: args.quick ? CONSOLE_QUICK : CONSOLE_FULL, log }))));
  if (wantedS3()) await step("S", () => s3Rows(mainJs, files));
  if (wantedGc("fs") || wantedGc("s3")) await gcBench(mainJs);

  await stopAll();
  report(bounds);
  if (args.profile) printProfiles(args.profile);
  if (!args.quick && !args.profile && (!only || only.has("nodes"))) {
    log("nodes: 1 vs 3 Berth nodes behind haproxy (bench/cluster.ts)");
    console.log((await runOk(process.execPath, [fileURLToPath(new URL("./cluster.js", import.meta.url))])).stdout);
  }
}

async function step(id: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    failures.push({ workload: id, message: (err as Error).stack ?? String(err) });
    log(`workload ${id} FAILED: ${(err as Error).message}`);
  }
  logMemory(id);
}

/** Where each server's memory stands after a workload: tells which workload sets the peak. */
function logMemory(id: string): void {
  const mib = (kib: number) => (kib / 1024).toFixed(0);
  const parts: string[] = [];
  for (const reg of regs) {
    try {
      const s = reg.server;
      parts.push(`${s.name} peak RSS ${mib(s.peakRss())}, peak PSS ${mib(s.peakPss())}, PSS now ${mib(s.pss())}`);
    } catch {
      // the server is gone; its workload reported that already
    }
  }
  log(`memory after ${id} (MiB): ${parts.join("; ")}`);
}

// ---------------------------------------------------------------------------------------------
// Setup

async function ensureTools(): Promise<void> {
  const needed: [string, string][] = [
    ["curl", "curl"],
    ["wrk", "wrk"],
    ["ab", "apache2-utils"],
    [DISTRIBUTION_BIN, "docker-registry"],
  ];
  const missing = needed.filter(([cmd]) => (cmd.startsWith("/") ? !existsSync(cmd) : !which(cmd))).map(([, pkg]) => pkg);
  // A full run starts its own S3 gateway unless BERTH_TEST_S3_* names one; --quick never does.
  if ((wantedS3() || wantedGc("s3")) && !args.quick && !gatewayConfigured() && missingGatewayTools().length > 0) missing.push(...RGW_PACKAGES);
  if (missing.length === 0 || !names.includes("Distribution") && missing.every((p) => p === "docker-registry")) return;
  if (process.getuid?.() !== 0) throw new Error(`missing tools; install them with: sudo apt-get install -y ${missing.join(" ")}`);
  log(`installing ${missing.join(" ")} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () => run("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...missing], { env });
  if ((await install()).code !== 0) {
    await runOk("apt-get", ["update", "-q"], { env });
    const r = await install();
    if (r.code !== 0) throw new Error(`apt-get install ${missing.join(" ")} failed:\n${r.stderr}`);
  }
}

async function describeMachine(): Promise<string[]> {
  const first = async (cmd: string, a: string[], re = /.*/) => {
    const r = await run(cmd, a).catch(() => undefined);
    return r ? (re.exec(`${r.stdout}\n${r.stderr}`.trim())?.[0] ?? "?").trim() : "missing";
  };
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "?";
  return [
    `- machine: ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 1024 ** 3)} GiB, Linux ${release()}`,
    `- Node.js ${process.version}; ${await first(DISTRIBUTION_BIN, ["--version"])}`,
    `- ${await first("curl", ["--version"], /^curl \S+/)}; ${await first("wrk", ["-v"], /wrk \S+/)}; ${await first("ab", ["-V"], /ApacheBench, Version \S+/)}`,
    `- data filesystem: ${await describeFilesystem(workDir)}`,
  ];
}

/**
 * The filesystem under `dir`, and for ext4 whether it keeps a journal: without one, creating a
 * file walks past every inode freed in the last 60 to 360 s, which the registries' own churn and
 * earlier runs' clean-up supply (docs/PERFORMANCE.md, "Noise").
 */
async function describeFilesystem(dir: string): Promise<string> {
  const found = await run("findmnt", ["-n", "-o", "SOURCE,FSTYPE", "--target", dir]).catch(() => undefined);
  const [source, type] = (found?.stdout ?? "").trim().split(/\s+/);
  if (!source || !type) return "?";
  if (type !== "ext4") return `${type} on ${source}`;
  let journal: string;
  try {
    journal = readFileSync(`/sys/fs/ext4/${basename(source)}/journal_task`, "utf8").trim() === "<none>" ? "without a journal" : "with a journal";
  } catch {
    journal = "journal unknown";
  }
  return `ext4 on ${source}, ${journal}`;
}

async function measureBounds(): Promise<Bounds> {
  log("machine bounds: SHA-256, durable disk write, loopback");
  const sha = sha256Speed(sizes.probe);
  const disk = await diskWriteSpeed(workDir, sizes.probe);
  const direct = await diskWriteSpeed(workDir, sizes.probe, true).catch(() => undefined);
  const loop = await loopbackSpeed(sizes.probe);
  return { sha256: sha, diskWrite: disk, diskWriteDirect: direct, loopback: loop };
}

/** Fresh random blobs, written and hashed before anything is timed. */
function prepareFiles(): { mono: Blob[]; chunked: ChunkedBlob[] } {
  const mono: Blob[] = [];
  const chunked: ChunkedBlob[] = [];
  if (wanted(1) || wanted(3)) {
    log(`generating ${sizes.reps} random blobs of ${sizes.big / MiB} MiB`);
    for (let i = 0; i < (wanted(1) ? sizes.reps : 1); i++) mono.push(randomBlob(join(workDir, `mono-${i}.bin`)));
  }
  if (wanted(2)) {
    log(`generating ${sizes.reps} random blobs of ${sizes.big / MiB} MiB in ${sizes.chunk / MiB} MiB chunk files`);
    for (let rep = 0; rep < sizes.reps; rep++) chunked.push(chunkedBlob(`chunk-${rep}`, sizes.big, sizes.chunk));
  }
  return { mono, chunked };
}

/** A new random blob of `size` bytes at `file` (replacing what was there). */
function randomBlob(file: string, size = sizes.big): Blob {
  const hash = createHash("sha256");
  writeRandom(file, size, hash);
  return { file, digest: `sha256:${hash.digest("hex")}`, size };
}

/** A new random blob of `size` bytes in files of `chunk` bytes, `<name>-NNN.bin`. */
function chunkedBlob(name: string, size: number, chunk: number): ChunkedBlob {
  const hash = createHash("sha256");
  const files: string[] = [];
  for (let off = 0, i = 0; off < size; off += chunk, i++) {
    const file = join(workDir, `${name}-${String(i).padStart(3, "0")}.bin`);
    writeRandom(file, Math.min(chunk, size - off), hash);
    files.push(file);
  }
  return { files, digest: `sha256:${hash.digest("hex")}`, size };
}

function writeRandom(path: string, size: number, hash: Hash): void {
  const buf = Buffer.alloc(Math.min(size, 8 * MiB));
  const fd = openSync(path, "w");
  try {
    for (let done = 0; done < size; ) {
      const n = Math.min(buf.byteLength, size - done);
      randomFillSync(buf, 0, n);
      writeSync(fd, buf, 0, n);
      hash.update(buf.subarray(0, n));
      done += n;
    }
  } finally {
    closeSync(fd);
  }
}

/** Wall time, server CPU and client CPU of one measured piece of work. */
async function measured(reg: Reg, workload: string, work: () => Promise<void>): Promise<number> {
  const server0 = reg.server.cpu();
  const client0 = clientCpu();
  const t0 = performance.now();
  await work();
  const wall = (performance.now() - t0) / 1000;
  cpuRows.push({ workload, registry: reg.server.name, wall, serverCpu: reg.server.cpu() - server0, clientCpu: clientCpu() - client0 });
  return wall;
}

function valuesOf(per: Map<RegistryName, number>): Partial<Record<RegistryName, number>> {
  return Object.fromEntries(per) as Partial<Record<RegistryName, number>>;
}

// ---------------------------------------------------------------------------------------------
// 1-3: large blobs

/**
 * Pushes each blob to every registry, the registries taking turns (B, D, B, D, ...), so that a
 * change in background load hits both; each registry's median MiB/s.
 */
async function medianSpeeds<B>(label: string, blobs: B[], push: (reg: Reg, blob: B) => Promise<number>): Promise<Map<RegistryName, number>> {
  const speeds = new Map<RegistryName, number[]>();
  for (const [rep, blob] of blobs.entries()) {
    for (const reg of regs) {
      log(`${label} ${rep + 1}/${blobs.length}: ${reg.server.name}`);
      speeds.set(reg.server.name, [...(speeds.get(reg.server.name) ?? []), await push(reg, blob)]);
    }
  }
  return new Map([...speeds].map(([k, v]) => [k, median(v)]));
}

async function monolithicPush(blobs: Blob[], bounds: Bounds | undefined): Promise<void> {
  const med = await medianSpeeds("1 monolithic push", blobs, async (reg, blob) => {
    const speed = await pushWhole(reg, blob, "1 monolithic push");
    reg.big.push(blob);
    return speed;
  });
  const w = `${blobs[0]!.size / MiB} MiB monolithic push (POST + PUT ?digest=)`;
  rows.push({ id: "1", workload: w, metric: `median of ${blobs.length}`, unit: "MiB/s", values: valuesOf(med), target: ratioAtLeast(2) });
  if (bounds) {
    const bound = Math.min(bounds.sha256, bounds.diskWrite);
    const berth = med.get("Berth") ?? NaN;
    // The target's disk figure is dd through the page cache, as the issue set it; what the disk
    // takes past the page cache (Berth writes large uploads that way) is shown beside it.
    const direct = bounds.diskWriteDirect === undefined ? "" : `; ${Math.round((100 * berth) / Math.min(bounds.sha256, bounds.diskWriteDirect))}% of min(SHA-256, dd oflag=direct)`;
    rows.push({
      id: "1b",
      workload: w,
      metric: "vs the machine bound",
      unit: "MiB/s",
      values: valuesOf(med),
      ratioNote: `Berth at ${Math.round((100 * berth) / bound)}% of the bound${direct}`,
      target: atLeast(0.8 * bound, "MiB/s", "80% of min(SHA-256, disk)"),
    });
  }
}

/** POST + PUT ?digest= of one big blob, checked afterwards; returns MiB/s. */
async function pushWhole(reg: Reg, blob: Blob, workload: string): Promise<number> {
  await runOk("sync", []); // start each push without someone else's dirty pages
  const wall = await measured(reg, workload, async () => {
    const loc = await reg.client.startUpload("bench/big");
    const r = await curlUpload("PUT", withDigest(loc, blob.digest), blob.file, reg.headers);
    if (r.status !== 201) throw new BenchError(`${reg.server.name}: PUT ?digest= answered ${r.status}`);
    if (r.headers["docker-content-digest"] !== blob.digest) {
      throw new BenchError(`${reg.server.name}: Docker-Content-Digest ${r.headers["docker-content-digest"]}, expected ${blob.digest}`);
    }
  });
  await reg.client.checkBlob("bench/big", blob.digest, blob.size);
  log(`${workload}: ${reg.server.name} ${fmt(blob.size / MiB / wall)} MiB/s`);
  return blob.size / MiB / wall;
}

async function chunkedPush(blobs: ChunkedBlob[]): Promise<void> {
  // Like row 1: a fresh blob each repetition.
  const med = await medianSpeeds("2 chunked push", blobs, pushChunked);
  rows.push({
    id: "2",
    workload: `${blobs[0]!.size / MiB} MiB chunked push (${blobs[0]!.files.length} × ${sizes.chunk / MiB} MiB PATCH, PUT)`,
    metric: `median of ${blobs.length}`,
    unit: "MiB/s",
    values: valuesOf(med),
    target: ratioAtLeast(3),
  });
}

/** POST, a PATCH per chunk file (a curl each), PUT ?digest=, checked afterwards; returns MiB/s. */
async function pushChunked(reg: Reg, blob: ChunkedBlob, workload = "2 chunked push"): Promise<number> {
  await runOk("sync", []);
  const wall = await measured(reg, workload, () => sendChunked(reg, "bench/chunked", blob.files, blob.digest));
  await reg.client.checkBlob("bench/chunked", blob.digest, blob.size);
  log(`${workload}: ${reg.server.name} ${fmt(blob.size / MiB / wall)} MiB/s`);
  return blob.size / MiB / wall;
}

/** One chunked upload: POST, a PATCH per file (a curl each, following Location), PUT ?digest=. */
async function sendChunked(reg: Reg, repo: string, files: string[], digest: string): Promise<void> {
  let loc = await reg.client.startUpload(repo);
  let offset = 0;
  for (const file of files) {
    const len = statSync(file).size;
    const r = await curlUpload("PATCH", loc, file, { "Content-Range": `${offset}-${offset + len - 1}` });
    if (r.status !== 202) throw new BenchError(`${reg.server.name}: PATCH at ${offset} answered ${r.status}`);
    offset += len;
    if (r.headers.range !== `0-${offset - 1}`) throw new BenchError(`${reg.server.name}: PATCH Range ${r.headers.range}, expected 0-${offset - 1}`);
    if (!r.headers.location) throw new BenchError(`${reg.server.name}: PATCH without Location`);
    loc = new URL(r.headers.location, reg.server.base).toString();
  }
  const done = await reg.client.expect([201], "PUT", withDigest(loc, digest));
  if (done.headers["docker-content-digest"] !== digest) throw new BenchError(`${reg.server.name}: digest header mismatch`);
}

async function blobGet(fallback: Blob): Promise<void> {
  for (const reg of regs) {
    if (reg.big.length === 0) {
      const loc = await reg.client.startUpload("bench/big");
      const r = await curlUpload("PUT", withDigest(loc, fallback.digest), fallback.file);
      if (r.status !== 201) throw new BenchError(`${reg.server.name}: PUT ?digest= answered ${r.status}`);
      reg.big.push(fallback);
    }
  }
  // The first GET after the push has a row of its own: Berth writes large uploads past the page
  // cache, so it reads the blob from the disk, where Distribution finds it cached. The median row
  // then compares the two with the blob cached, as it has since the first pass.
  const first = new Map<RegistryName, number>();
  for (const reg of regs) first.set(reg.server.name, await timedGet(reg, "3 first blob GET"));
  const speeds = new Map<RegistryName, number[]>();
  for (let rep = 0; rep < sizes.reps; rep++) {
    for (const reg of regs) speeds.set(reg.server.name, [...(speeds.get(reg.server.name) ?? []), await timedGet(reg, "3 blob GET")]);
  }
  for (const reg of regs) await reg.client.verifyBlobDownload("bench/big", reg.big[0]!.digest, reg.big[0]!.size);
  rows.push({
    id: "3",
    workload: `${fallback.size / MiB} MiB blob GET, cached (curl -o /dev/null)`,
    metric: `median of ${sizes.reps}, after the first GET`,
    unit: "MiB/s",
    values: valuesOf(new Map([...speeds].map(([k, v]) => [k, median(v)]))),
    target: ratioAtLeast(1),
  });
  rows.push({
    id: "3b",
    workload: `${fallback.size / MiB} MiB blob GET, the first after the push (Berth: from the disk)`,
    metric: "one run, informational",
    unit: "MiB/s",
    values: valuesOf(first),
  });
}

/** `curl -o /dev/null` of the registry's first big blob (bench/big); MiB/s by curl's own time. */
async function timedGet(reg: Reg, label: string): Promise<number> {
  const blob = reg.big[0]!;
  let time = 0;
  await measured(reg, label, async () => {
    const r = await curlDownload(`${reg.server.base}/v2/bench/big/blobs/${blob.digest}`);
    if (r.status !== 200 || r.bytes !== blob.size) throw new BenchError(`${reg.server.name}: GET blob ${r.status}, ${r.bytes} bytes`);
    time = r.time;
  });
  const speed = blob.size / MiB / time;
  log(`${label}: ${reg.server.name} ${fmt(speed)} MiB/s`);
  return speed;
}

// ---------------------------------------------------------------------------------------------
// 4-5: request rates

/** A small image in bench/small: a 4 KiB layer, a config, a manifest tagged `latest`. */
async function smallImage(reg: Reg): Promise<{ manifestPath: string; blobPath: string }> {
  if (reg.small) return reg.small;
  const layer = randomFillSync(Buffer.alloc(4096));
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [sha256(layer)] } }));
  const manifest = imageManifest({ digest: sha256(config), size: config.byteLength }, [{ digest: sha256(layer), size: layer.byteLength }]);
  await reg.client.pushBlob("bench/small", layer, sha256(layer));
  await reg.client.pushBlob("bench/small", config, sha256(config));
  await reg.client.putManifest("bench/small", "latest", manifest, sha256(manifest));
  const got = await reg.client.expect([200], "GET", "/v2/bench/small/manifests/latest", undefined, { Accept: ACCEPT_MANIFESTS });
  if (!got.body.equals(manifest)) throw new BenchError(`${reg.server.name}: GET manifest returned other bytes`);
  reg.small = { manifestPath: "/v2/bench/small/manifests/latest", blobPath: `/v2/bench/small/blobs/${sha256(layer)}` };
  return reg.small;
}

async function manifestLoad(): Promise<void> {
  const get = wanted(4, "get") ? await manifestGets("4 manifest GET") : new Map<RegistryName, [number, number]>();
  const head = new Map<RegistryName, [number, number]>();
  for (const reg of wanted(4, "head") ? regs : []) {
    const headers = { Accept: ACCEPT_MANIFESTS, ...reg.headers };
    const url = reg.server.base + (await smallImage(reg)).manifestPath;
    log(`4 manifest HEAD: ${reg.server.name}, ab -k -i ${sizes.connections} connections, ${sizes.loadSeconds} s`);
    await measured(reg, "4 manifest HEAD (ab)", async () => {
      const r = checkLoad(reg, await ab(url, sizes.connections, sizes.loadSeconds, true, headers));
      head.set(reg.server.name, [r.rps, r.p99]);
    });
  }
  const w = `manifest by tag, ${sizes.connections} connections, ${sizes.loadSeconds} s`;
  if (get.size > 0) pushRateRows("4", `GET ${w} (wrk)`, get);
  if (head.size > 0) pushRateRows("4", `HEAD ${w} (ab -k -i)`, head);
}

/** wrk GETs of bench/small's manifest by tag on each registry, after a warm-up: [req/s, p99 ms]. */
async function manifestGets(label: string): Promise<Map<RegistryName, [number, number]>> {
  const get = new Map<RegistryName, [number, number]>();
  for (const reg of regs) {
    const headers = { Accept: ACCEPT_MANIFESTS, ...reg.headers };
    const url = reg.server.base + (await smallImage(reg)).manifestPath;
    log(`${label}: ${reg.server.name}, wrk ${sizes.connections} connections, ${sizes.loadSeconds} s`);
    await wrk(url, sizes.connections, sizes.warmSeconds, headers);
    await measured(reg, `${label} (wrk)`, async () => {
      const r = checkLoad(reg, await wrk(url, sizes.connections, sizes.loadSeconds, headers));
      get.set(reg.server.name, [r.rps, r.p99]);
    });
  }
  return get;
}

async function smallBlobLoad(): Promise<void> {
  const get = new Map<RegistryName, [number, number]>();
  for (const reg of regs) {
    const url = reg.server.base + (await smallImage(reg)).blobPath;
    log(`5 4 KiB blob GET: ${reg.server.name}, wrk ${sizes.connections} connections, ${sizes.loadSeconds} s`);
    await wrk(url, sizes.connections, sizes.warmSeconds);
    await measured(reg, "5 4 KiB blob GET (wrk)", async () => {
      const r = checkLoad(reg, await wrk(url, sizes.connections, sizes.loadSeconds));
      get.set(reg.server.name, [r.rps, r.p99]);
    });
  }
  pushRateRows("5", `4 KiB blob GET, ${sizes.connections} connections, ${sizes.loadSeconds} s (wrk)`, get);
}

function checkLoad<T extends { requests: number; non2xx: number; errors: number; tool: string }>(reg: Reg, r: T): T {
  if (r.requests === 0) throw new BenchError(`${reg.server.name}: ${r.tool} completed no request`);
  if (r.non2xx > 0) throw new BenchError(`${reg.server.name}: ${r.tool} saw ${r.non2xx} non-2xx responses`);
  if (r.errors > 0) log(`warning: ${reg.server.name}: ${r.tool} reported ${r.errors} socket errors/failed requests`);
  return r;
}

function pushRateRows(id: string, workload: string, per: Map<RegistryName, [number, number]>): void {
  const pick = (i: 0 | 1) => valuesOf(new Map([...per].map(([k, v]) => [k, v[i]])));
  rows.push({ id, workload, metric: "throughput", unit: "req/s", values: pick(0), target: ratioAtLeast(15) });
  rows.push({ id, workload, metric: "p99 latency", unit: "ms", values: pick(1), target: below(20, "ms") });
}

// ---------------------------------------------------------------------------------------------
// 9: the cost of token authentication

/**
 * Rows 1, 4 and 6 again against a second Berth with token authentication on, every request
 * carrying a bearer token (verified, and its auth token checked, on each request). Reported next
 * to the same rows without auth.
 */
async function authCost(mainJs: string): Promise<void> {
  const operatorToken = randomBytes(24).toString("base64url");
  const server = await startBerth({
    mainJs,
    dataDir: join(workDir, "berth-auth"),
    env: { BERTH_AUTH_ENABLED: "true", BERTH_AUTH_OPERATOR_NAMESPACE: "bench", BERTH_AUTH_OPERATOR_TOKEN: operatorToken, BERTH_AUTH_TOKEN_TTL: "4h" },
  });
  try {
    const scopes = ["big", "small", "images"].map((r) => `scope=repository:bench/${r}:pull,push`).join("&");
    const res = await fetch(`${server.base}/auth/token?service=berth&${scopes}`, {
      headers: { Authorization: `Basic ${Buffer.from(`bench/admin:${operatorToken}`).toString("base64")}` },
    });
    const body = (await res.json()) as { token?: string; access_token?: string };
    if (res.status !== 200 || !body.token) throw new BenchError(`token endpoint answered ${res.status}`);
    const headers = { Authorization: `Bearer ${body.token}` };
    const reg: Reg = { server, client: new Client(server.base, 16, headers), big: [], headers };
    const plainBerth = regs.find((r) => r.server.name === "Berth")!;
    if (wanted(1)) await authPushCost(plainBerth, reg);
    const withoutAuth = rows.splice(0);
    const plainRegs = regs.splice(0, regs.length, reg);
    try {
      if (wanted(4)) await manifestLoad();
      if (wanted(6)) await smallImages();
    } finally {
      const withAuth = rows.splice(0, rows.length, ...withoutAuth);
      regs.splice(0, regs.length, ...plainRegs);
      for (const row of withAuth) {
        const plain = withoutAuth.find((r) => r.id === row.id && r.metric === row.metric && r.workload === row.workload);
        const on = row.values.Berth;
        const off = plain?.values.Berth;
        rows.push({
          id: "9",
          workload: `${row.id}: ${row.workload}, token auth on`,
          metric: row.metric,
          unit: row.unit,
          values: { Berth: on },
          ratioNote: on !== undefined && off !== undefined ? `${(on / off).toFixed(2)}× of Berth without auth` : "",
        });
      }
      reg.client.close();
    }
  } finally {
    await server.stop();
  }
}

/**
 * Row 9's push: big pushes drift from minute to minute on this shared machine (here a second
 * Berth pushing minutes after row 1 ran at 0.5–0.9× of it even with auth off), so each
 * fresh blob goes to Berth without auth and to Berth with auth in turn, and the two medians are
 * compared.
 */
async function authPushCost(plain: Reg, authed: Reg): Promise<void> {
  const off: number[] = [];
  const on: number[] = [];
  for (let rep = 0; rep < sizes.reps; rep++) {
    const blob = randomBlob(join(workDir, "auth-mono.bin"));
    // Who goes first alternates too: the second push of a pair may meet a busier disk.
    const turns = [
      async () => off.push(await pushWhole(plain, blob, "9 monolithic push, auth off")),
      async () => on.push(await pushWhole(authed, blob, "9 monolithic push, auth on")),
    ];
    if (rep % 2) turns.reverse();
    log(`9 monolithic push ${rep + 1}/${sizes.reps}: Berth ${rep % 2 ? "with auth, then without" : "without auth, then with"}`);
    for (const turn of turns) await turn();
  }
  const [a, b] = [median(on), median(off)];
  rows.push({
    id: "9",
    workload: `1: ${sizes.big / MiB} MiB monolithic push (POST + PUT ?digest=), token auth on`,
    metric: `median of ${sizes.reps}, each blob pushed without auth and with, in turns`,
    unit: "MiB/s",
    values: { Berth: a },
    ratioNote: `${(a / b).toFixed(2)}× of Berth without auth (${fmt(b)} MiB/s in the same turns)`,
  });
}

// ---------------------------------------------------------------------------------------------
// S1-S5: blobs on S3, both registries on one gateway, each in a bucket of its own

/** The OSD of a gateway this run starts: a sparse file; the rows write about 16 GiB at most. */
const S3_CAPACITY = 48 * 1024 * MiB;

async function s3Rows(mainJs: string, fsFiles: { mono: Blob[]; chunked: ChunkedBlob[] }): Promise<void> {
  gateway = await benchGateway(!args.quick, S3_CAPACITY);
  if (!gateway) {
    rows.push({ id: "S", workload: "blobs on S3 (rows S1–S5)", metric: "skipped (no S3 gateway: BERTH_TEST_S3_* unset)", unit: "", values: {} });
    return;
  }
  // The filesystem rows are done: their servers, data and files make room for these.
  await stopAll();
  for (const file of [...fsFiles.mono.map((b) => b.file), ...fsFiles.chunked.flatMap((b) => b.files)]) rmSync(file, { force: true });
  for (const dir of ["berth", "distribution", "berth-auth"]) rmSync(join(workDir, dir), { recursive: true, force: true });

  const buckets: S3Bucket[] = [];
  const made: string[] = [];
  const file = (name: string) => {
    made.push(join(workDir, name));
    return join(workDir, name);
  };
  try {
    for (const name of names) {
      const bucket = await benchBucket(gateway);
      buckets.push(bucket);
      const dataDir = join(workDir, `${name.toLowerCase()}-s3`);
      const server = name === "Berth" ? await startBerth({ mainJs, dataDir, env: berthOnS3(bucket) }) : await startDistribution(dataDir, workDir, bucket);
      regs.push({ server, client: new Client(server.base, 16), big: [], headers: {} });
      log(`${name} on S3 (${gateway.endpoint}, bucket ${bucket.bucket}) pid ${server.pid} at ${server.base}`);
    }
    const big = sizes.s3Big / MiB;
    if (wantedS3(1)) {
      log(`S1 generating ${sizes.reps} random blobs of ${big} MiB`);
      const blobs = Array.from({ length: sizes.reps }, (_, i) => randomBlob(file(`s3-mono-${i}.bin`), sizes.s3Big));
      const med = await medianSpeeds("S1 monolithic push", blobs, async (reg, blob) => {
        const speed = await pushWhole(reg, blob, "S1 monolithic push");
        reg.big.push(blob);
        return speed;
      });
      rows.push({ id: "S1", workload: `${big} MiB monolithic push on S3 (POST + PUT ?digest=)`, metric: `median of ${blobs.length}`, unit: "MiB/s", values: valuesOf(med), target: ratioAtLeast(1.5) });
    }
    if (wantedS3(2)) {
      log(`S2 generating ${sizes.reps} random blobs of ${big} MiB in ${sizes.s3Chunk / MiB} MiB chunk files`);
      const blobs = Array.from({ length: sizes.reps }, (_, rep) => chunkedBlob(`s3-chunk-${rep}`, sizes.s3Big, sizes.s3Chunk));
      made.push(...blobs.flatMap((b) => b.files));
      const med = await medianSpeeds("S2 chunked push", blobs, (reg, blob) => pushChunked(reg, blob, "S2 chunked push"));
      const parts = `${blobs[0]!.files.length} × ${sizes.s3Chunk / MiB} MiB PATCH, PUT`;
      rows.push({ id: "S2", workload: `${big} MiB chunked push on S3 (${parts})`, metric: `median of ${blobs.length}`, unit: "MiB/s", values: valuesOf(med), target: ratioAtLeast(2) });
    }
    if (wantedS3(3)) await s3BlobGet(file);
    if (wantedS3(4)) {
      const get = await manifestGets("S4 manifest GET");
      const w = `manifest GET by tag on S3, ${sizes.connections} connections, ${sizes.loadSeconds} s (wrk)`;
      const pick = (i: 0 | 1) => valuesOf(new Map([...get].map(([k, v]) => [k, v[i]])));
      rows.push({ id: "S4", workload: w, metric: "throughput", unit: "req/s", values: pick(0), target: ratioAtLeast(10) });
      rows.push({ id: "S4", workload: w, metric: "p99 latency, informational", unit: "ms", values: pick(1) });
    }
    const berth = regs.find((r) => r.server.name === "Berth");
    if (wantedS3(5) && berth) await s3UploadMemory(berth, file);
  } finally {
    await stopAll();
    for (const f of made) rmSync(f, { force: true });
    // A gateway of this run's own goes whole at the end; a shared one keeps nothing of the run.
    if (gatewayConfigured()) for (const bucket of buckets) await dropBucket(gateway, bucket).catch((err: Error) => log(`removing bucket ${bucket.bucket}: ${err.message}`));
  }
}

/**
 * Row S3: the same blob from each registry, both streaming it from the gateway (neither keeps blob
 * bytes of its own; what the gateway caches, it caches for both). One GET each unmeasured, then
 * the registries in turns; the median.
 */
async function s3BlobGet(file: (name: string) => string): Promise<void> {
  let fallback: Blob | undefined; // made only when row S1 did not push a blob
  for (const reg of regs) {
    if (reg.big.length > 0) continue;
    fallback ??= randomBlob(file("s3-get.bin"), sizes.s3Big);
    const loc = await reg.client.startUpload("bench/big");
    const r = await curlUpload("PUT", withDigest(loc, fallback.digest), fallback.file);
    if (r.status !== 201) throw new BenchError(`${reg.server.name}: PUT ?digest= answered ${r.status}`);
    reg.big.push(fallback);
  }
  for (const reg of regs) await timedGet(reg, "S3 blob GET, unmeasured");
  const speeds = new Map<RegistryName, number[]>();
  for (let rep = 0; rep < sizes.reps; rep++) {
    for (const reg of regs) speeds.set(reg.server.name, [...(speeds.get(reg.server.name) ?? []), await timedGet(reg, "S3 blob GET")]);
  }
  for (const reg of regs) await reg.client.verifyBlobDownload("bench/big", reg.big[0]!.digest, reg.big[0]!.size);
  rows.push({
    id: "S3",
    workload: `${regs[0]!.big[0]!.size / MiB} MiB blob GET on S3, through the registry (curl -o /dev/null)`,
    metric: `median of ${sizes.reps}, after one unmeasured GET`,
    unit: "MiB/s",
    values: valuesOf(new Map([...speeds].map(([k, v]) => [k, median(v)]))),
    target: ratioAtLeast(1),
  });
}

/**
 * Row S5: many chunked pushes at once to Berth on S3, its processes' RSS summed and sampled every
 * 250 ms. Each blob is the same random chunks but its last, its own, so every push is a new blob;
 * the shared prefix is hashed once.
 */
async function s3UploadMemory(reg: Reg, file: (name: string) => string): Promise<void> {
  const { s3MemPushes: n, s3MemSize: size, s3Chunk: chunk } = sizes;
  log(`S5 generating ${n} blobs of ${size / MiB} MiB in ${chunk / MiB} MiB chunk files, all but the last chunk shared`);
  const prefix = createHash("sha256");
  const shared: string[] = [];
  for (let off = 0; off + chunk < size; off += chunk) {
    shared.push(file(`s3-mem-shared-${shared.length}.bin`));
    writeRandom(shared[shared.length - 1]!, chunk, prefix);
  }
  const blobs: ChunkedBlob[] = Array.from({ length: n }, (_, k) => {
    const hash = prefix.copy();
    const last = file(`s3-mem-last-${k}.bin`);
    writeRandom(last, chunk, hash);
    return { files: [...shared, last], digest: `sha256:${hash.digest("hex")}`, size: shared.length * chunk + chunk };
  });
  await runOk("sync", []);
  const idle = treeMemoryKiB(reg.server.pid);
  const mib = (kib: number) => fmt(kib / 1024);
  log(`S5 ${n} concurrent chunked pushes of ${size / MiB} MiB to Berth on S3 (idle RSS ${mib(idle.rss)} MiB)`);
  const sampler = new TreeMemorySampler(reg.server.pid, 250);
  let peak = { rss: 0, pss: 0 };
  let wall = 0;
  try {
    wall = await measured(reg, `S5 ${n} concurrent chunked pushes`, async () => {
      await Promise.all(blobs.map((b) => sendChunked(reg, "bench/memory", b.files, b.digest)));
    });
  } finally {
    peak = sampler.stop();
  }
  for (const b of blobs) await reg.client.checkBlob("bench/memory", b.digest, b.size);
  log(`S5 peak RSS ${mib(peak.rss)} MiB, peak PSS ${mib(peak.pss)} MiB; ${fmt((n * size) / MiB / wall)} MiB/s in all`);
  rows.push({
    id: "S5",
    workload: `${n} concurrent ${size / MiB} MiB chunked pushes on S3 (${size / chunk} × ${chunk / MiB} MiB PATCH, PUT each), Berth only`,
    metric: `peak RSS summed over Berth's processes, sampled every 250 ms (idle before: ${mib(idle.rss)}; peak PSS ${mib(peak.pss)}, idle ${mib(idle.pss)})`,
    unit: "MiB",
    values: { Berth: peak.rss / 1024 },
    ratioNote: `${fmt(wall)} s, ${fmt((n * size) / MiB / wall)} MiB/s in all`,
    target: below(300, "MiB"),
  });
}

// ---------------------------------------------------------------------------------------------
// 6: many small images

async function smallImages(): Promise<void> {
  // Warm-up rounds first, then sizes.reps measured rounds; each round pushes new blobs and tags,
  // and the registries take turns so that both see the same machine. Berth's first few thousand
  // write requests run up to 40% slower while V8 optimizes them, a cost that a running registry
  // paid long ago; Distribution, compiled ahead of time, has no such curve (docs/PERFORMANCE.md).
  const warm = sizes.imageWarmRounds;
  const rounds = Array.from({ length: warm + sizes.reps }, (_, round) => imageSet(round));
  const seconds = new Map<RegistryName, number[]>();
  for (const [round, images] of rounds.entries()) {
    for (const reg of regs) {
      const label = round < warm ? `warm-up ${round + 1}/${warm}` : `${round - warm + 1}/${sizes.reps}`;
      log(`6 ${sizes.images} small images, ${sizes.imageClients} clients, ${label}: ${reg.server.name}`);
      const client = new Client(reg.server.base, sizes.imageClients, reg.headers);
      const push = () =>
        pool(images, sizes.imageClients, async (img) => {
          await client.pushBlob("bench/images", img.layer, sha256(img.layer));
          await client.pushBlob("bench/images", img.config, sha256(img.config));
          await client.putManifest("bench/images", img.tag, img.manifest, sha256(img.manifest));
        });
      try {
        if (round < warm) {
          await push();
        } else {
          const wall = await measured(reg, `6 ${sizes.images} small images`, push);
          log(`6 ${reg.server.name}: ${wall.toFixed(2)} s`);
          seconds.set(reg.server.name, [...(seconds.get(reg.server.name) ?? []), wall]);
        }
      } finally {
        client.close();
      }
      const last = images[images.length - 1]!;
      const got = await reg.client.expect([200], "GET", `/v2/bench/images/manifests/${last.tag}`, undefined, { Accept: ACCEPT_MANIFESTS });
      if (!got.body.equals(last.manifest)) throw new BenchError(`${reg.server.name}: image ${last.tag} came back different`);
    }
  }
  rows.push({
    id: "6",
    workload: `${sizes.images} images (config + ${sizes.imageLayer / 1024} KiB layer + manifest), ${sizes.imageClients} keep-alive clients`,
    metric: `wall time, median of ${sizes.reps} after ${warm} warm-up round${warm === 1 ? "" : "s"}`,
    unit: "s",
    values: valuesOf(new Map([...seconds].map(([k, v]) => [k, median(v)]))),
    target: ratioAtMost(0.33, "B/D ≤ 1/3 (3× faster)"),
  });
}

/** One round of row 6: sizes.images images with their own random layers and tags. */
function imageSet(round: number): { tag: string; layer: Buffer; config: Buffer; manifest: Buffer }[] {
  return Array.from({ length: sizes.images }, (_, i) => {
    const layer = randomFillSync(Buffer.alloc(sizes.imageLayer));
    const labels = { image: String(i), round: String(round) };
    const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: { Labels: labels }, rootfs: { type: "layers", diff_ids: [sha256(layer)] } }));
    const manifest = imageManifest({ digest: sha256(config), size: config.byteLength }, [{ digest: sha256(layer), size: layer.byteLength }]);
    return { tag: `r${round}-img-${String(i).padStart(4, "0")}`, layer, config, manifest };
  });
}

// ---------------------------------------------------------------------------------------------
// 7: catalog and tag pages

async function pages(): Promise<void> {
  const pad = (i: number) => String(i).padStart(5, "0");
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }));
  const cfg = { digest: sha256(config), size: config.byteLength };
  const manifest = imageManifest(cfg, []);
  const mdigest = sha256(manifest);
  const repoNames = Array.from({ length: sizes.repos }, (_, i) => `cat/r${pad(i)}`);
  const tagNames = Array.from({ length: sizes.tags }, (_, i) => `t${pad(i)}`);
  const catalog = new Map<RegistryName, number[]>();
  const tags = new Map<RegistryName, number[]>();
  const walkTotals = new Map<RegistryName, [number, number]>();
  const seedTimes = new Map<RegistryName, number>();
  for (const reg of regs) {
    const c = reg.client;
    log(`7 seeding ${sizes.repos} repositories and ${sizes.tags} tags: ${reg.server.name}`);
    const t0 = performance.now();
    await c.pushBlob("seed/base", config, cfg.digest);
    await pool(repoNames, sizes.seedConcurrency, async (repo) => {
      await c.mountBlob(repo, cfg.digest, "seed/base");
      await c.putManifest(repo, "latest", manifest, mdigest);
    });
    await c.mountBlob("tags/many", cfg.digest, "seed/base");
    await pool(tagNames, sizes.seedConcurrency, (tag) => c.putManifest("tags/many", tag, manifest, mdigest));
    seedTimes.set(reg.server.name, (performance.now() - t0) / 1000);
    log(`7 seeded ${reg.server.name} in ${seedTimes.get(reg.server.name)!.toFixed(1)} s; walking pages`);

    let totalCat = 0;
    await measured(reg, "7 catalog walk", async () => {
      const walk = await walkPages(c, `/v2/_catalog?n=${sizes.page}`, (j) => (j as { repositories: string[] }).repositories);
      checkListing(reg, "catalog", walk.items, repoNames);
      catalog.set(reg.server.name, walk.times);
      totalCat = walk.total;
    });
    let totalTags = 0;
    await measured(reg, "7 tag walk", async () => {
      const walk = await walkPages(c, `/v2/tags/many/tags/list?n=${sizes.page}`, (j) => (j as { tags: string[] }).tags);
      checkListing(reg, "tag list", walk.items, tagNames);
      if (walk.items.length !== tagNames.length) throw new BenchError(`${reg.server.name}: tag walk gave ${walk.items.length} tags`);
      tags.set(reg.server.name, walk.times);
      totalTags = walk.total;
    });
    walkTotals.set(reg.server.name, [totalCat, totalTags]);
  }
  const stat = (m: Map<RegistryName, number[]>, f: (v: number[]) => number) => valuesOf(new Map([...m].map(([k, v]) => [k, f(v)])));
  const pagesNote = (m: Map<RegistryName, number[]>) => [...m].map(([k, v]) => `${k} ${v.length} pages`).join(", ");
  const cw = `catalog, ${sizes.repos} repositories, n=${sizes.page} (${pagesNote(catalog)})`;
  rows.push({ id: "7", workload: cw, metric: "page p50", unit: "ms", values: stat(catalog, (v) => percentile(v, 50)) });
  rows.push({ id: "7", workload: cw, metric: "page p95", unit: "ms", values: stat(catalog, (v) => percentile(v, 95)), target: atMost(50, "ms") });
  rows.push({ id: "7", workload: cw, metric: "whole walk", unit: "ms", values: valuesOf(new Map([...walkTotals].map(([k, v]) => [k, v[0]]))) });
  const single = (tags.get("Distribution")?.length ?? 0) === 1 && sizes.tags > sizes.page;
  const tw = `tag list, ${sizes.tags} tags, n=${sizes.page} (${pagesNote(tags)})`;
  const note = single ? "Distribution ignores n: one page of all tags" : undefined;
  rows.push({ id: "7", workload: tw, metric: "page p50", unit: "ms", values: stat(tags, (v) => percentile(v, 50)), ratioNote: single ? "n/a" : undefined, note });
  rows.push({
    id: "7",
    workload: tw,
    metric: "page p95",
    unit: "ms",
    values: stat(tags, (v) => percentile(v, 95)),
    ratioNote: single ? "n/a" : undefined,
    target: atMost(50, "ms"),
  });
  rows.push({ id: "7", workload: tw, metric: "whole walk", unit: "ms", values: valuesOf(new Map([...walkTotals].map(([k, v]) => [k, v[1]]))) });
  rows.push({
    id: "7",
    workload: `seeding ${sizes.repos} repositories (mount + manifest) and ${sizes.tags} tags, ${sizes.seedConcurrency} clients`,
    metric: "wall time, informational",
    unit: "s",
    values: valuesOf(seedTimes),
  });
}

/** Follows Link headers from `first`; the time of each page in ms. */
async function walkPages(c: Client, first: string, items: (json: unknown) => string[]) {
  const times: number[] = [];
  const all: string[] = [];
  const t0 = performance.now();
  for (let path: string | undefined = first; path !== undefined; ) {
    if (times.length > 100_000) throw new BenchError("more than 100,000 pages: the Link chain does not end");
    const t = performance.now();
    const reply = await c.expect([200], "GET", path);
    times.push(performance.now() - t);
    all.push(...items(JSON.parse(reply.body.toString("utf8"))));
    path = nextPage(reply);
  }
  return { times, items: all, total: performance.now() - t0 };
}

function checkListing(reg: Reg, what: string, got: string[], expected: string[]): void {
  const seen = new Set(got);
  if (seen.size !== got.length) throw new BenchError(`${reg.server.name}: ${what} walk returned duplicates`);
  const missing = expected.filter((e) => !seen.has(e));
  if (missing.length > 0) throw new BenchError(`${reg.server.name}: ${what} walk misses ${missing.length}, e.g. ${missing.slice(0, 3).join(", ")}`);
}

// ---------------------------------------------------------------------------------------------
// 8 and the end

function peakRss(): void {
  const rss = new Map<RegistryName, number>();
  const pss = new Map<RegistryName, number>();
  for (const reg of regs) {
    try {
      rss.set(reg.server.name, reg.server.peakRss() / 1024);
      pss.set(reg.server.name, reg.server.peakPss() / 1024);
    } catch (err) {
      failures.push({ workload: "8", registry: reg.server.name, message: String(err) });
    }
  }
  rows.push({
    id: "8",
    workload: "peak memory of the server over the run",
    metric: "PSS sampled every 100 ms, summed over its processes",
    unit: "MiB",
    values: valuesOf(pss),
    target: ratioAtMost(1),
  });
  rows.push({
    id: "8b",
    workload: "same, as peak RSS",
    metric: "VmHWM summed over its processes (shared pages once per process)",
    unit: "MiB",
    values: valuesOf(rss),
    target: ratioAtMost(1),
  });
}

/** Rows G and G-S3 (bench/gc.ts), each registry fresh; the other rows' servers are stopped first. */
async function gcBench(mainJs: string): Promise<void> {
  await stopAll();
  const scaled = (base: GcSizes): GcSizes => {
    if (args["gc-images"] === undefined) return base;
    const manifests = Number(args["gc-images"]);
    if (!Number.isSafeInteger(manifests) || manifests < 2) throw new Error(`--gc-images: not a whole number ≥ 2: ${args["gc-images"]}`);
    return { ...base, manifests };
  };
  const options = { mainJs, workDir, sizes: scaled(args.quick ? GC_QUICK : GC_FULL), names, log };
  if (wantedGc("fs")) await step("G", async () => void rows.push(...(await gcRows(options))));
  if (!wantedGc("s3")) return;
  await step("G-S3", async () => {
    gateway ??= await benchGateway(!args.quick, S3_CAPACITY);
    if (!gateway) {
      rows.push({ id: "G-S3", workload: "GC on S3", metric: "skipped (no S3 gateway: BERTH_TEST_S3_* unset)", unit: "", values: {} });
      return;
    }
    const buckets: Partial<Record<RegistryName, S3Bucket>> = {};
    try {
      for (const name of names) buckets[name] = await benchBucket(gateway);
      rows.push(...(await gcRows({ ...options, sizes: scaled(args.quick ? GC_QUICK_S3 : GC_FULL_S3), s3: buckets })));
    } finally {
      if (gatewayConfigured()) for (const bucket of Object.values(buckets)) await dropBucket(gateway, bucket).catch((err: Error) => log(`removing bucket ${bucket.bucket}: ${err.message}`));
    }
  });
}

async function stopAll(): Promise<void> {
  for (const reg of regs.splice(0)) {
    reg.client.close();
    await reg.server.stop();
  }
}

function report(bounds: Bounds | undefined): void {
  const out: string[] = [];
  out.push(`\n## Results (${args.quick ? "quick" : "full"} run, ${new Date().toISOString().slice(0, 16)}Z)\n`);
  out.push(...environment);
  const la = (l: number[]) => l.map((x) => x.toFixed(2)).join(" ");
  out.push(`- load average (1/5/15 min) when the workloads started: ${la(loadAtStart)}; at the end: ${la(loadavg())}`);
  out.push("\nBerth/Distribution is the ratio of the two figures as printed (B/D in the targets).\n");
  out.push(resultsTable(rows, !args.quick));
  if (bounds) {
    out.push("\n## Machine bounds\n");
    out.push("| bound | MiB/s |\n|---|--:|");
    out.push(`| SHA-256, node:crypto, one core | ${fmt(bounds.sha256)} |`);
    out.push(`| durable disk write, dd conv=fsync, data filesystem | ${fmt(bounds.diskWrite)} |`);
    out.push(`| the same past the page cache, dd oflag=direct conv=fsync | ${bounds.diskWriteDirect === undefined ? "refused" : fmt(bounds.diskWriteDirect)} |`);
    out.push(`| loopback, curl from a trivial local server | ${fmt(bounds.loopback)} |`);
  }
  out.push("\n## CPU during the measured work (client = this process + curl/wrk/ab; 200% = both cores)\n");
  out.push(cpuTable(cpuRows));
  if (failures.length > 0) {
    out.push("\n## FAILURES\n");
    for (const f of failures) out.push(`- workload ${f.workload}${f.registry ? ` (${f.registry})` : ""}: ${f.message}`);
  }
  process.stdout.write(`${out.join("\n")}\n`);
  if (args.json) writeFileSync(args.json, JSON.stringify({ quick: args.quick, date: new Date().toISOString(), bounds, rows, cpu: cpuRows, failures }, null, 2));
}

function printProfiles(dir: string): void {
  const profiles = readdirSync(dir)
    .filter((f) => f.endsWith(".cpuprofile"))
    .map((f) => join(dir, f))
    // The serving process's profile, not the idle supervisor's (both write one): the largest.
    .sort((a, b) => statSync(b).size - statSync(a).size);
  if (profiles[0]) {
    process.stdout.write(`\n## CPU profile ${profiles[0]}\n\n${summarise(profiles[0], 25)}\n`);
  } else {
    log(`no .cpuprofile in ${dir}`);
  }
}

async function cleanup(): Promise<void> {
  await stopAll().catch(() => undefined);
  await gateway?.stop().catch((err: Error) => log(`stopping the S3 gateway: ${err.message}`));
  gateway = undefined;
  if (workDir && !args.keep) rmSync(workDir, { recursive: true, force: true });
  else if (workDir) log(`kept ${workDir}`);
}

// Interrupted (Ctrl-C, or a job runner's SIGTERM): stop the registries and remove the gigabytes
// of test data rather than leave them in the temporary directory. The run goes on meanwhile and
// may start a registry after the others stopped: that one is killed before the last removal.
for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  process.once(signal, () => {
    log(`${signal}; stopping the registries`);
    void cleanup().then(() => {
      killAll();
      if (workDir && !args.keep) rmSync(workDir, { recursive: true, force: true });
      process.exit(code);
    });
  });
}

main()
  .catch((err) => {
    failures.push({ workload: "setup", message: (err as Error).stack ?? String(err) });
    process.stderr.write(`bench: ${(err as Error).stack ?? String(err)}\n`);
  })
  .finally(async () => {
    await cleanup();
    if (failures.length > 0) {
      log(`${failures.length} failure(s)`);
      process.exitCode = 1;
    }
  });

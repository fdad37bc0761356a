// Row G (and G-S3): garbage collection. The same content in both registries (many small images
// pushed over HTTP, one tag each), half the manifests deleted through the API, then Berth's
// online collection (`berth gc --offline` in a process of its own, beside the serving one, as
// another node would run it) timed while a pull loop measures latency, and Distribution's offline
// `docker-registry garbage-collect` timed on its copy with the registry stopped, as its docs require.
// On the filesystem, also G-online: a copy of Berth's data collected by the serving registry
// itself (`POST /api/v1/gc`, as the scheduled job runs), pulls served by the same processes.
import { randomBytes } from "node:crypto";
import { cpSync, existsSync } from "node:fs";
import { join } from "node:path";
import { BenchError, Client, imageManifest, pool, sha256, ACCEPT_MANIFESTS } from "./lib/client.js";
import { run } from "./lib/proc.js";
import { below, percentile, ratioAtMost, type Row } from "./lib/report.js";
import { DISTRIBUTION_BIN, startBerth, startDistribution, berthOnS3, type RegistryName, type RunningRegistry, type S3Bucket } from "./lib/servers.js";

export interface GcSizes {
  manifests: number;
  /** blobs of each image (config and layers), each unique */
  blobsPerImage: number;
  repos: number;
  blobSize: number;
  concurrency: number;
  /** concurrent pull loops during Berth's collection */
  pullers: number;
}

export const GC_FULL: GcSizes = { manifests: 10_000, blobsPerImage: 5, repos: 100, blobSize: 512, concurrency: 32, pullers: 8 };
export const GC_QUICK: GcSizes = { manifests: 100, blobsPerImage: 5, repos: 5, blobSize: 512, concurrency: 32, pullers: 4 };
/**
 * On S3, scaled down: Distribution's collection stats every object on the gateway (here about
 * 0.2 s per blob: 10,000 manifests would take hours), and CI runs the quick one every time.
 */
export const GC_FULL_S3: GcSizes = { ...GC_FULL, manifests: 400, repos: 20 };
export const GC_QUICK_S3: GcSizes = { ...GC_QUICK, manifests: 10, repos: 1 };

export interface GcRowOptions {
  mainJs: string;
  workDir: string;
  sizes: GcSizes;
  names: RegistryName[];
  /** blobs in these buckets (one per registry, by name) instead of the filesystem */
  s3?: Partial<Record<RegistryName, S3Bucket>>;
  log(msg: string): void;
}

interface Image {
  repo: string;
  tag: string;
  manifest: string;
  blobs: { digest: string; size: number }[];
}

/** An image with its bytes, made once and pushed the same to both registries. */
interface MadeImage extends Image {
  bytes: { blobs: Buffer[]; manifest: Buffer };
}

function makeImages(s: GcSizes): MadeImage[] {
  return Array.from({ length: s.manifests }, (_, i) => {
    const blobs = Array.from({ length: s.blobsPerImage }, () => randomBytes(s.blobSize));
    const descriptors = blobs.map((b) => ({ digest: sha256(b), size: b.length }));
    const manifest = imageManifest(descriptors[0]!, descriptors.slice(1));
    return { repo: `gc/r${i % s.repos}`, tag: `t${i}`, manifest: sha256(manifest), blobs: descriptors, bytes: { blobs, manifest } };
  });
}

export async function gcRows(o: GcRowOptions): Promise<Row[]> {
  const s = o.sizes;
  const where = o.s3 ? "RGW (S3)" : "filesystem";
  const suffix = o.s3 ? "-s3" : "";
  const id = o.s3 ? "G-S3" : "G";
  o.log(`${id}: ${s.manifests} images of ${s.blobsPerImage} blobs in ${s.repos} repositories; half deleted, then collected (${where})`);
  const images = makeImages(s);
  const garbage = images.filter((_, i) => i % 2 === 1);
  const kept = images.filter((_, i) => i % 2 === 0);
  const seconds: Partial<Record<RegistryName, number>> = {};
  let pullP99: number | undefined;
  let idleP99: number | undefined;
  let runSeconds: number | undefined;

  const operator = randomBytes(24).toString("base64url");
  let online: { wall: number; p99: number; idleP99: number } | undefined;

  for (const name of o.names) {
    const dataDir = join(o.workDir, `gc-${name.toLowerCase()}${suffix}`);
    const bucket = o.s3?.[name];
    // Auth on, for the admin API of G-online; the operator's tenancy is the repositories' namespace.
    const berthEnv = {
      BERTH_GC_ENABLED: "false",
      BERTH_GC_GRACE: "0s",
      BERTH_AUTH_ENABLED: "true",
      BERTH_AUTH_OPERATOR_NAMESPACE: "gc",
      BERTH_AUTH_OPERATOR_TOKEN: operator,
      ...(bucket ? berthOnS3(bucket) : {}),
    };
    const startBerthOn = (dir: string) => startBerth({ mainJs: o.mainJs, dataDir: dir, env: berthEnv });
    let server: RunningRegistry = name === "Berth" ? await startBerthOn(dataDir) : await startDistribution(dataDir, o.workDir, bucket);
    // HTTP Basic on every request, as some clients send it (Berth keeps the check cached).
    const clientOf = (r: RunningRegistry) => new Client(r.base, s.concurrency, name === "Berth" ? { Authorization: basic(operator) } : {});
    let client = clientOf(server);
    try {
      const started = Date.now();
      await pool(images, s.concurrency, async (image) => {
        for (let b = 0; b < image.blobs.length; b++) await client.pushBlob(image.repo, image.bytes.blobs[b]!, image.blobs[b]!.digest);
        await client.putManifest(image.repo, image.tag, image.bytes.manifest, image.manifest);
      });
      o.log(`${id} ${name}: pushed ${images.length} images in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      await pool(garbage, s.concurrency, async (image) => {
        await client.expect([202], "DELETE", `/v2/${image.repo}/manifests/${image.manifest}`);
      });

      if (name === "Berth") {
        const onlineDir = `${dataDir}-online`;
        if (!bucket) {
          await server.stop();
          cpSync(dataDir, onlineDir, { recursive: true });
          client.close();
          server = await startBerthOn(dataDir);
          client = clientOf(server);
        }
        idleP99 = percentile(await pullLoop(client, kept, s.pullers, sleep(1000)), 99);
        const gc = runBerthGc(o.mainJs, dataDir, berthEnv);
        const latencies = await pullLoop(client, kept, s.pullers, gc.then(() => undefined, () => undefined));
        const { wall, run: inRun, result } = await gc;
        runSeconds = inRun;
        const expected = expectedBlobs(garbage, s);
        if (result.blobs !== expected) throw new BenchError(`Berth's collection removed ${result.blobs} blobs, expected ${expected}`);
        seconds.Berth = wall;
        pullP99 = percentile(latencies, 99);
        o.log(`${id} Berth: collected ${result.blobs} blobs in ${wall.toFixed(2)} s (the run itself ${inRun.toFixed(2)} s); ${latencies.length} pulls meanwhile, p99 ${pullP99.toFixed(1)} ms (idle ${idleP99.toFixed(1)} ms)`);
        await verify(client, kept, garbage);
        if (!bucket) {
          await server.stop();
          client.close();
          server = await startBerthOn(onlineDir);
          client = clientOf(server);
          online = await collectOnline(server.base, operator, client, kept, s, expectedBlobs(garbage, s));
          o.log(`G-online Berth: collected in the serving registry in ${online.wall.toFixed(2)} s; pulls meanwhile p99 ${online.p99.toFixed(1)} ms (idle ${online.idleP99.toFixed(1)} ms)`);
          await verify(client, kept, garbage);
        }
      } else {
        await server.stop();
        const config = join(o.workDir, bucket ? "distribution-s3.yml" : "distribution.yml");
        const { AWS_CA_BUNDLE: _unset, ...env } = process.env;
        const t0 = process.hrtime.bigint();
        const r = await run(DISTRIBUTION_BIN, ["garbage-collect", config], { env });
        const wall = Number(process.hrtime.bigint() - t0) / 1e9;
        if (r.code !== 0) throw new BenchError(`docker-registry garbage-collect exited ${r.code}: ${r.stderr.slice(-2000)}`);
        const removed = (r.stdout + r.stderr).match(/blob eligible for deletion/g)?.length ?? 0;
        const expected = garbage.length * (s.blobsPerImage + 1); // its manifests are blobs too
        if (removed !== expected) throw new BenchError(`docker-registry garbage-collect found ${removed} blobs to delete, expected ${expected}`);
        if (!bucket) {
          const hex = garbage[0]!.blobs[0]!.digest.slice(7);
          if (existsSync(join(dataDir, "docker/registry/v2/blobs/sha256", hex.slice(0, 2), hex, "data"))) throw new BenchError("Distribution kept a garbage blob");
        }
        seconds.Distribution = wall;
        o.log(`${id} Distribution: garbage-collect removed ${removed} blobs in ${wall.toFixed(2)} s (registry stopped)`);
      }
    } finally {
      client.close();
      await server.stop();
    }
  }

  const workload = `GC of ${s.manifests.toLocaleString("en-US")} manifests / ${(s.manifests * s.blobsPerImage).toLocaleString("en-US")} blobs, half garbage, on ${where}: Berth online vs Distribution offline`;
  const rows: Row[] = [
    { id, workload, metric: "wall time (Berth's includes its CLI start-up)", unit: "s", values: seconds, target: ratioAtMost(0.1, "D/B ≥ 10×"), note: runSeconds === undefined ? undefined : `Berth's run itself (its record's start to end): ${runSeconds.toFixed(2)} s` },
    { id, workload: `pulls during Berth's collection (${s.pullers} loops of manifest + blob GET)`, metric: `p99 latency (idle: ${idleP99?.toFixed(1) ?? "—"} ms)`, unit: "ms", values: { Berth: pullP99 }, target: below(50, "ms") },
  ];
  if (online) {
    const inServer = workload.replace("Berth online", "Berth in its serving processes (POST /api/v1/gc)");
    rows.push(
      { id: "G-online", workload: inServer, metric: "wall time, the API call to the run's end", unit: "s", values: { Berth: online.wall, Distribution: seconds.Distribution }, target: ratioAtMost(0.1, "D/B ≥ 10×") },
      { id: "G-online", workload: `pulls from the collecting registry (${s.pullers} loops of manifest + blob GET)`, metric: `p99 latency (idle: ${online.idleP99.toFixed(1)} ms)`, unit: "ms", values: { Berth: online.p99 }, target: below(50, "ms") },
    );
  }
  return rows;
}

const expectedBlobs = (garbage: Image[], s: GcSizes) => garbage.length * s.blobsPerImage;

const basic = (operator: string) => `Basic ${Buffer.from(`gc/admin:${operator}`).toString("base64")}`;

/**
 * G-online: `POST /api/v1/gc` to the serving registry, its run polled every 10 ms until it ends,
 * while the pull loops run against the same registry.
 */
async function collectOnline(base: string, operator: string, client: Client, kept: Image[], s: GcSizes, expected: number) {
  const idleP99 = percentile(await pullLoop(client, kept, s.pullers, sleep(1000)), 99);
  const api = async (method: string, path: string) => {
    const headers: Record<string, string> = { Authorization: basic(operator), "Content-Type": "application/json" };
    const res = await fetch(`${base}/api/v1/gc${path}`, { method, headers, body: method === "POST" ? "{}" : undefined });
    const body = (await res.json()) as { data?: { id: string; state: string; result: { blobs: number } | null } };
    if (!res.ok || !body.data) throw new BenchError(`${method} /api/v1/gc${path} answered ${res.status}`);
    return body.data;
  };
  const t0 = process.hrtime.bigint();
  const collected = (async () => {
    const { id } = await api("POST", "");
    for (;;) {
      const run = await api("GET", `/${id}`);
      if (run.state !== "running") return { run, wall: Number(process.hrtime.bigint() - t0) / 1e9 };
      await sleep(10);
    }
  })();
  const latencies = await pullLoop(client, kept, s.pullers, collected.then(() => undefined, () => undefined));
  const { run, wall } = await collected;
  if (run.state !== "succeeded" || run.result?.blobs !== expected) throw new BenchError(`the serving registry's collection ended ${run.state}, removing ${run.result?.blobs} blobs (expected ${expected})`);
  return { wall, p99: percentile(latencies, 99), idleP99 };
}

/** `berth gc --offline` on the serving registry's data: its wall time and what it removed. */
async function runBerthGc(mainJs: string, dataDir: string, env: Record<string, string>) {
  const t0 = process.hrtime.bigint();
  const r = await run(process.execPath, [mainJs, "gc", "--offline", "--root", dataDir, "--output", "json"], {
    env: { ...process.env, BERTH_CONFIG: "", BERTH_AUTH_ENABLED: "false", ...env },
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.code !== 0) throw new BenchError(`berth gc exited ${r.code}: ${r.stderr.slice(-2000)}`);
  const answer = JSON.parse(r.stdout).data as { state: string; startedAt: string; finishedAt: string; result: { manifests: number; blobs: number; bytes: number; uploads: number } };
  if (answer.state !== "succeeded") throw new BenchError(`berth gc ended ${answer.state}`);
  return { wall, run: (Date.parse(answer.finishedAt) - Date.parse(answer.startedAt)) / 1000, result: answer.result };
}

/** Pulls kept images (manifest by tag, then one blob) in `loops` loops until `done`; each pull's latency, ms. */
async function pullLoop(client: Client, images: Image[], loops: number, done: Promise<unknown>): Promise<number[]> {
  let over = false;
  void done.finally(() => (over = true));
  const latencies: number[] = [];
  let next = 0;
  const loop = async () => {
    while (!over) {
      const image = images[next++ % images.length]!;
      const t0 = process.hrtime.bigint();
      await client.expect([200], "GET", `/v2/${image.repo}/manifests/${image.tag}`, undefined, { Accept: ACCEPT_MANIFESTS });
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      const blob = image.blobs[next % image.blobs.length]!;
      const t1 = process.hrtime.bigint();
      await client.expect([200], "GET", `/v2/${image.repo}/blobs/${blob.digest}`);
      latencies.push(Number(process.hrtime.bigint() - t1) / 1e6);
    }
  };
  await Promise.all([...Array.from({ length: loops }, loop), done]);
  return latencies;
}

/** Every kept image whole, every garbage blob gone (a sample of each, over HTTP). */
async function verify(client: Client, kept: Image[], garbage: Image[]): Promise<void> {
  for (const image of kept.slice(0, 20)) for (const b of image.blobs) await client.verifyBlobDownload(image.repo, b.digest, b.size);
  for (const image of garbage.slice(0, 20)) {
    for (const b of image.blobs) await client.expect([404], "HEAD", `/v2/${image.repo}/blobs/${b.digest}`);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

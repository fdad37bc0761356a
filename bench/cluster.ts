// `node dist/bench/cluster.js [--seconds N] [--connections N]`: manifest GET and 4 KiB blob GET
// through haproxy in front of 1, then 3, Berth nodes on one shared database and blob store, with
// where the CPU went (the nodes, haproxy, the load generator). The machine has 2 cores, so 3
// nodes cannot be faster than 1 here; the row shows that nothing serializes across nodes (the
// rate holds) and how the cores are split. Not part of `npm run bench --quick`.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startHaproxy } from "../test/helpers/haproxy.js";
import { startRegistry, type RunningRegistry } from "../test/helpers/registry.js";
import { ACCEPT_MANIFESTS, imageManifest, OCI_MANIFEST, sha256 } from "./lib/client.js";
import { clientCpu, processCpu } from "./lib/proc.js";
import { wrk } from "./lib/tools.js";

const { values: args } = parseArgs({
  options: { seconds: { type: "string", default: "10" }, connections: { type: "string", default: "32" } },
});
const seconds = Number(args.seconds);
const connections = Number(args.connections);

interface Measurement {
  nodes: number;
  workload: string;
  rps: number;
  p99: number;
  cpu: { nodes: number; haproxy: number; client: number };
}

async function push(base: string): Promise<{ manifestPath: string; blobPath: string }> {
  const repo = "bench/cluster";
  const blob = Buffer.alloc(4096, 7);
  const config = Buffer.from("{}");
  for (const data of [blob, config]) {
    const post = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: "POST" });
    const location = new URL(post.headers.get("location")!, base);
    location.searchParams.set("digest", sha256(data));
    const put = await fetch(location, { method: "PUT", body: new Uint8Array(data), headers: { "Content-Type": "application/octet-stream" } });
    if (put.status !== 201) throw new Error(`blob push answered ${put.status}`);
  }
  const manifest = imageManifest({ digest: sha256(config), size: config.length }, [{ digest: sha256(blob), size: blob.length }]);
  const put = await fetch(`${base}/v2/${repo}/manifests/v1`, { method: "PUT", body: new Uint8Array(manifest), headers: { "Content-Type": OCI_MANIFEST } });
  if (put.status !== 201) throw new Error(`manifest push answered ${put.status}`);
  return { manifestPath: `/v2/${repo}/manifests/v1`, blobPath: `/v2/${repo}/blobs/${sha256(blob)}` };
}

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), "berth-bench-cluster-"));
  // One shared data directory: the shared SQLite database and filesystem blob store stand for
  // PostgreSQL and S3 on this one machine (BERTH_BENCH_CLUSTER_ENV adds e.g. the PostgreSQL keys).
  const env = {
    BERTH_HTTP_WORKERS: "1",
    BERTH_LOG_ACCESSLOG_DISABLED: "true",
    BERTH_LOG_LEVEL: "warn",
    ...(JSON.parse(process.env.BERTH_BENCH_CLUSTER_ENV ?? "{}") as Record<string, string>),
  };
  const root = join(scratch, "shared");
  const nodes: RunningRegistry[] = [];
  const results: Measurement[] = [];
  try {
    // The helper waits for the "listening" line, which the warn level hides: info for start-up only.
    for (let i = 0; i < 3; i++) nodes.push(await startRegistry({ root, env: { ...env, BERTH_LOG_LEVEL: "info", BERTH_LOG_ACCESSLOG_DISABLED: "true" } }));
    const paths = await push(nodes[0]!.url);
    for (const count of [1, 3]) {
      const lb = await startHaproxy(nodes.slice(0, count).map((n) => n.host), { connectionPerRequest: false });
      try {
        for (const [workload, path, headers] of [
          ["manifest GET by tag", paths.manifestPath, { Accept: ACCEPT_MANIFESTS }],
          ["4 KiB blob GET", paths.blobPath, {}],
        ] as const) {
          await wrk(lb.url + path, connections, 2, headers);
          const before = { nodes: nodes.reduce((a, n) => a + processCpu(n.process.pid!), 0), haproxy: processCpu(lb.process.pid!), client: clientCpu() };
          const r = await wrk(lb.url + path, connections, seconds, headers);
          if (r.non2xx > 0 || r.requests === 0) throw new Error(`${workload} through ${count} node(s): ${r.non2xx} non-2xx of ${r.requests}`);
          const cpu = {
            nodes: nodes.reduce((a, n) => a + processCpu(n.process.pid!), 0) - before.nodes,
            haproxy: processCpu(lb.process.pid!) - before.haproxy,
            client: clientCpu() - before.client,
          };
          results.push({ nodes: count, workload, rps: r.rps, p99: r.p99, cpu });
          process.stderr.write(`${count} node(s), ${workload}: ${Math.round(r.rps)} req/s\n`);
        }
      } finally {
        await lb.stop();
      }
    }
  } finally {
    await Promise.all(nodes.map((n) => n.close()));
    rmSync(scratch, { recursive: true, force: true });
  }
  const lines = [
    `Through haproxy (round-robin per request), ${connections} connections, ${seconds} s per row; CPU in core-seconds over the run.`,
    "",
    "| workload | nodes | req/s | p99 ms | 3 nodes / 1 node | CPU: nodes | CPU: haproxy | CPU: wrk + bench |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const m of results) {
    const one = results.find((r) => r.workload === m.workload && r.nodes === 1)!;
    const ratio = m.nodes === 1 ? "" : (m.rps / one.rps).toFixed(2);
    lines.push(`| ${m.workload} | ${m.nodes} | ${Math.round(m.rps)} | ${m.p99.toFixed(1)} | ${ratio} | ${m.cpu.nodes.toFixed(1)} | ${m.cpu.haproxy.toFixed(1)} | ${m.cpu.client.toFixed(1)} |`);
  }
  console.log(lines.join("\n"));
}

main().catch((err) => {
  console.error(`bench cluster: ${(err as Error).message}`);
  process.exit(1);
});

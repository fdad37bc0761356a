// Several Berth nodes on one metadata database and one bucket, behind haproxy: the layout of
// docs/DEPLOYMENT.md on one machine. Each node is a `berth serve` process of its own (one worker,
// to fit two cores) with its own scratch data directory that nothing shared lives in.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startHaproxy, type LoadBalancer } from "../helpers/haproxy.js";
import { startRegistry, type RunningRegistry } from "../helpers/registry.js";
import type { S3Server } from "../helpers/rgw.js";
import { MiB } from "../storage/s3-support.js";

export interface Cluster {
  nodes: RunningRegistry[];
  lb: LoadBalancer;
  /** the metadata database every node opens (SQLite file) */
  metadataPath: string;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  s3: S3Server;
  bucket: string;
  nodes: number;
  /** extra environment for every node */
  env?: Record<string, string>;
}

/** The environment every node gets: the shared bucket and database, one worker, short job leases. */
export function nodeEnv(options: ClusterOptions, metadataPath: string): Record<string, string> {
  const { s3, bucket } = options;
  return {
    BERTH_STORAGE_DRIVER: "s3",
    BERTH_STORAGE_S3_REGIONENDPOINT: s3.endpoint,
    BERTH_STORAGE_S3_REGION: s3.region,
    BERTH_STORAGE_S3_BUCKET: bucket,
    BERTH_STORAGE_S3_FORCEPATHSTYLE: "true",
    BERTH_STORAGE_S3_ACCESSKEY: s3.accessKey,
    BERTH_STORAGE_S3_SECRETKEY: s3.secretKey,
    BERTH_STORAGE_S3_ROOTDIRECTORY: "/registry",
    BERTH_STORAGE_S3_CHUNKSIZE: String(5 * MiB),
    BERTH_METADATA_SQLITE_PATH: metadataPath,
    BERTH_HTTP_WORKERS: "1",
    BERTH_JOBS_LEASE: "2s",
    ...options.env,
  };
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const scratch = await mkdtemp(join(tmpdir(), "berth-cluster-"));
  const metadataPath = join(scratch, "shared", "berth.db");
  const env = nodeEnv(options, metadataPath);
  const nodes: RunningRegistry[] = [];
  let lb: LoadBalancer | undefined;
  const stop = async () => {
    await lb?.stop();
    await Promise.all(nodes.map((n) => n.close()));
    await rm(scratch, { recursive: true, force: true });
  };
  try {
    // The first node migrates the database alone; the others then start together.
    nodes.push(await startRegistry({ env, root: join(scratch, "node1") }));
    const rest = Array.from({ length: options.nodes - 1 }, (_, i) => startRegistry({ env, root: join(scratch, `node${i + 2}`) }));
    nodes.push(...(await Promise.all(rest)));
    lb = await startHaproxy(nodes.map((n) => n.host));
    return { nodes, lb, metadataPath, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Kills a node the hard way (SIGKILL), as a crash or a pulled plug would. */
export async function killNode(node: RunningRegistry): Promise<void> {
  if (node.process.exitCode !== null || node.process.signalCode !== null) return;
  const exited = new Promise((resolve) => node.process.once("exit", resolve));
  node.process.kill("SIGKILL");
  await exited;
}

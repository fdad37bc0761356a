// Several Berth nodes on one metadata database and one bucket, behind haproxy: the layout of
// docs/DEPLOYMENT.md on one machine. Each node is a `berth serve` process of its own (one worker,
// to fit two cores) with its own scratch data directory that nothing shared lives in.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Sqlite from "better-sqlite3";
import pg from "pg";
import { startHaproxy, type LoadBalancer } from "../helpers/haproxy.js";
import { startRegistry, type RunningRegistry } from "../helpers/registry.js";
import type { S3Server } from "../helpers/rgw.js";
import { MiB } from "../storage/s3-support.js";

export interface Cluster {
  nodes: RunningRegistry[];
  lb: LoadBalancer;
  /** the metadata database every node opens, for the tests' own checks */
  metadata: SharedMetadata;
  stop(): Promise<void>;
}

/**
 * The database the nodes share: PostgreSQL when BERTH_TEST_POSTGRES_URL names a server (a fresh
 * database in it per cluster), else one SQLite file that every node opens (one machine only).
 */
export interface SharedMetadata {
  /** what the nodes' configuration needs to open it */
  env: Record<string, string>;
  /** every row of a read-only query */
  query<T>(text: string): Promise<T[]>;
  close(): Promise<void>;
}

export async function sharedMetadata(scratch: string): Promise<SharedMetadata> {
  const server = process.env.BERTH_TEST_POSTGRES_URL;
  if (server) {
    const name = `berth_cluster_${randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: server });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(server);
    url.pathname = `/${name}`;
    const client = new pg.Client({ connectionString: url.href });
    await client.connect();
    return {
      env: { BERTH_METADATA_DRIVER: "postgres", BERTH_METADATA_POSTGRES_URL: url.href },
      query: async <T>(text: string) => (await client.query(text)).rows as T[],
      close: () => client.end(),
    };
  }
  const path = join(scratch, "shared", "berth.db");
  return {
    env: { BERTH_METADATA_SQLITE_PATH: path },
    async query<T>(text: string) {
      const db = new Sqlite(path, { readonly: true, fileMustExist: true });
      try {
        return db.prepare(text).all() as T[];
      } finally {
        db.close();
      }
    },
    close: async () => {},
  };
}

export interface ClusterOptions {
  s3: S3Server;
  bucket: string;
  nodes: number;
  /** extra environment for every node */
  env?: Record<string, string>;
}

/** The environment every node gets: the shared bucket and database, one worker, short job leases. */
export function nodeEnv(options: ClusterOptions, metadata: SharedMetadata): Record<string, string> {
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
    ...metadata.env,
    BERTH_HTTP_WORKERS: "1",
    BERTH_JOBS_LEASE: "2s",
    ...options.env,
  };
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const scratch = await mkdtemp(join(tmpdir(), "berth-cluster-"));
  const metadata = await sharedMetadata(scratch);
  const env = nodeEnv(options, metadata);
  const nodes: RunningRegistry[] = [];
  let lb: LoadBalancer | undefined;
  const stop = async () => {
    await lb?.stop();
    await Promise.all(nodes.map((n) => n.close()));
    await metadata.close();
    await rm(scratch, { recursive: true, force: true });
  };
  try {
    // The first node migrates the database alone; the others then start together.
    nodes.push(await startRegistry({ env, root: join(scratch, "node1") }));
    const rest = Array.from({ length: options.nodes - 1 }, (_, i) => startRegistry({ env, root: join(scratch, `node${i + 2}`) }));
    nodes.push(...(await Promise.all(rest)));
    lb = await startHaproxy(nodes.map((n) => n.host));
    return { nodes, lb, metadata, stop };
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

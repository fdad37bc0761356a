// A real PostgreSQL for tests: a throwaway cluster (initdb + pg_ctl as the `postgres` user, on a
// free loopback port, removed on stop), or the one BERTH_TEST_POSTGRES_URL names (CI starts one
// for the whole run). Each caller gets a database of its own, so runs never see each other's rows.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "./ports.js";

const BIN = "/usr/lib/postgresql/15/bin";

/** Whether PostgreSQL 15 is installed here (the suites are skipped without it, outside CI). */
export const postgresAvailable = Boolean(process.env.BERTH_TEST_POSTGRES_URL) || existsSync(join(BIN, "initdb"));

export interface Cluster {
  /** URL of the cluster's `postgres` database, as the superuser `berth` */
  url: string;
  /** the cluster's folder (its data directory is `data` inside) */
  dir: string;
  /** stops the server at once, keeping its data (as a crash or a failover would) */
  halt(): void;
  /** starts the halted server again on the same port and data */
  resume(): void;
  stop(): void;
}

/**
 * Starts a cluster whose collation is en_US.UTF-8, which is NOT byte order, so that a query
 * relying on the collation for ranges or order fails here as it would in production.
 */
export async function startCluster(options: { settings?: (dir: string) => string[]; prepare?: (dir: string) => void } = {}): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), "berth-pg-"));
  // Files the server reads (TLS keys) go in before the folder becomes postgres's.
  options.prepare?.(dir);
  const pgUser = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
  const pgGroup = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
  execFileSync("chown", ["-R", `${pgUser}:${pgGroup}`, dir]);
  const port = await freePort();
  const asPostgres = (command: string) =>
    execFileSync("su", ["postgres", "-s", "/bin/sh", "-c", command], { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
  const data = join(dir, "data");
  const start = () =>
    asPostgres(
      `${BIN}/pg_ctl -D ${data} -l ${dir}/log -w start -o "-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 ${(options.settings?.(dir) ?? []).map((s) => `-c ${s}`).join(" ")}"`,
    );
  const halt = () => asPostgres(`${BIN}/pg_ctl -D ${data} -m immediate -w stop`);
  try {
    asPostgres(`${BIN}/initdb -D ${data} -A trust -U berth --no-sync -E UTF8 --locale=en_US.UTF-8`);
    start();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const e = err as { stderr?: string; message: string };
    throw new Error(`could not start a PostgreSQL cluster: ${e.stderr || e.message}`);
  }
  let stopped = false;
  return {
    url: `postgres://berth@127.0.0.1:${port}/postgres`,
    dir,
    halt: () => void halt(),
    resume: () => void start(),
    stop() {
      if (stopped) return;
      stopped = true;
      try {
        halt();
      } catch {
        // already halted
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

let shared: Promise<Cluster> | undefined;

/**
 * A new, empty database's URL: in BERTH_TEST_POSTGRES_URL's cluster when set, else in a cluster
 * started once for this test process and stopped when it exits.
 */
export async function newDatabase(): Promise<string> {
  const base = process.env.BERTH_TEST_POSTGRES_URL ?? (await ownCluster()).url;
  const name = `berth_test_${randomBytes(6).toString("hex")}`;
  const client = new pg.Client({ connectionString: base });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

function ownCluster(): Promise<Cluster> {
  shared ??= startCluster().then((cluster) => {
    process.once("exit", () => cluster.stop());
    // A test run stopped by a signal skips "exit": stop the cluster, then end as the signal would.
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      process.once(signal, () => {
        cluster.stop();
        process.kill(process.pid, signal);
      });
    }
    return cluster;
  });
  return shared;
}


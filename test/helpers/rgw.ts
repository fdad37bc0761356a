// A real S3 server for tests: a throwaway one-node Ceph cluster (one monitor, one OSD on a sparse
// file, one RADOS Gateway) under a scratch folder, on loopback ports. Starts in about 10 s; no
// systemd, no root service. `../shared/notes/s3-ceph.md` has the settings that matter and why.
// When BERTH_TEST_S3_ENDPOINT is set (CI starts one gateway for the whole run), that one is used.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./ports.js";

const run = promisify(execFile);

export interface S3Server {
  endpoint: string;
  region: string;
  accessKey: string;
  secretKey: string;
  stop(): Promise<void>;
}

/** A gateway this process started: its radosgw alone can be stopped and started again, data kept. */
export interface OwnS3Server extends S3Server {
  stopGateway(): Promise<void>;
  startGateway(): Promise<void>;
}

export const RGW_TOOLS = ["ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "monmaptool", "ceph-authtool", "ceph"];

/** The gateway named by the environment, or a throwaway one (stopped by `stop`). */
export async function s3ForTests(): Promise<S3Server> {
  const endpoint = process.env.BERTH_TEST_S3_ENDPOINT;
  if (endpoint) {
    return {
      endpoint,
      region: process.env.BERTH_TEST_S3_REGION ?? "us-east-1",
      accessKey: process.env.BERTH_TEST_S3_ACCESSKEY ?? "",
      secretKey: process.env.BERTH_TEST_S3_SECRETKEY ?? "",
      stop: async () => {},
    };
  }
  return startRgw();
}

/**
 * Starts a one-node cluster and its gateway; resolves once the gateway answers S3 requests.
 * `blockSize`: the OSD's sparse block file (8 GiB; the benchmark stores more than that).
 */
export async function startRgw(options: { blockSize?: number } = {}): Promise<OwnS3Server> {
  const dir = await mkdtemp(join(tmpdir(), "berth-rgw-"));
  const [monPort, rgwPort, osdPortMin] = [await freePort(), await freePort(), 30000 + Math.floor(Math.random() * 3000) * 10];
  const conf = join(dir, "ceph.conf");
  const fsid = randomUUID();
  await writeFile(conf, cephConf({ dir, fsid, monPort, rgwPort, osdPortMin, blockSize: options.blockSize ?? 8 * 1024 ** 3 }));
  await mkdir(join(dir, "osd-0"));
  await mkdir(join(dir, "rgw-a"));
  const daemons: ChildProcess[] = [];
  const c = ["-c", conf];
  const stop = async () => {
    // The gateway first, then the OSD, then the monitor: each needs the next to shut down cleanly.
    for (const daemon of daemons.slice().reverse()) await kill(daemon);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await run("monmaptool", ["--create", "--fsid", fsid, "--addv", "a", `[v2:127.0.0.1:${monPort}]`, join(dir, "monmap")]);
    await run("ceph-authtool", ["--create-keyring", join(dir, "keyring"), "--gen-key", "-n", "mon."]);
    await run("ceph-mon", [...c, "--mkfs", "-i", "a", "--monmap", join(dir, "monmap"), "--keyring", join(dir, "keyring")]);
    daemons.push(daemon("ceph-mon", [...c, "-f", "-i", "a"], dir));
    const osdUuid = randomUUID();
    await run("ceph", [...c, "osd", "new", osdUuid, "0"], { timeout: 60_000 });
    await run("ceph-osd", [...c, "-i", "0", "--mkfs", "--osd-uuid", osdUuid], { timeout: 60_000 });
    daemons.push(daemon("ceph-osd", [...c, "-f", "-i", "0"], dir));
    let gateway = daemon("radosgw", [...c, "-f", "-n", "client.rgw.a"], dir);
    daemons.push(gateway);
    const accessKey = randomBytes(10).toString("hex").toUpperCase();
    const secretKey = randomBytes(20).toString("base64url");
    const endpoint = `http://127.0.0.1:${rgwPort}`;
    const answers = async () => (await fetch(endpoint).catch(() => undefined))?.status !== undefined;
    await waitFor(answers, 90_000, "the gateway to answer", dir);
    await run("radosgw-admin", [...c, "user", "create", "--uid=berth-tests", "--display-name=berth-tests", `--access-key=${accessKey}`, `--secret-key=${secretKey}`], {
      timeout: 60_000,
    });
    const stopGateway = () => kill(gateway);
    const startGateway = async () => {
      if (gateway.exitCode === null && gateway.signalCode === null) return;
      gateway = daemon("radosgw", [...c, "-f", "-n", "client.rgw.a"], dir);
      daemons.push(gateway);
      await waitFor(answers, 90_000, "the gateway to answer again", dir);
    };
    return { endpoint, region: "us-east-1", accessKey, secretKey, stop, stopGateway, startGateway };
  } catch (err) {
    const log = await readFile(join(dir, "daemons.log"), "utf8").catch(() => "");
    await stop();
    throw new Error(`could not start a Ceph RADOS Gateway: ${(err as Error).message}\n${log.slice(-3000)}`);
  }
}

function cephConf(o: { dir: string; fsid: string; monPort: number; rgwPort: number; osdPortMin: number; blockSize: number }): string {
  const secure = "crc secure";
  return `[global]
fsid = ${o.fsid}
mon host = [v2:127.0.0.1:${o.monPort}]
mon initial members = a
public addr = 127.0.0.1
ms bind msgr1 = false
ms bind port min = ${o.osdPortMin}
ms bind port max = ${o.osdPortMin + 9}
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = ${secure}
ms client mode = ${secure}
ms mon cluster mode = ${secure}
ms mon service mode = ${secure}
ms cluster mode = ${secure}
ms service mode = ${secure}
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
osd crush chooseleaf type = 0
paxos propose interval = 0.1
client mount timeout = 30
rgw init timeout = 60
rgw gc obj min wait = 30
run dir = ${o.dir}
log file = ${o.dir}/$name.log
admin socket = ${o.dir}/$name.asok
pid file = ${o.dir}/$name.pid

[mon.a]
mon data = ${o.dir}/mon-a

[osd.0]
osd data = ${o.dir}/osd-0
osd objectstore = bluestore
bluestore block path = ${o.dir}/block.file
bluestore block create = true
bluestore block size = ${o.blockSize}
osd memory target = 1073741824

[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:${o.rgwPort}
rgw data = ${o.dir}/rgw-a
`;
}

function daemon(cmd: string, args: string[], dir: string): ChildProcess {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  const log = (d: Buffer) => void writeFile(join(dir, "daemons.log"), `[${cmd}] ${d}`, { flag: "a" }).catch(() => {});
  child.stdout!.on("data", log);
  child.stderr!.on("data", log);
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

async function waitFor(check: () => Promise<boolean>, ms: number, what: string, dir: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what} (logs in ${dir})`);
}


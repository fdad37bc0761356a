// Leased jobs across processes: real processes on one SQLite metadata file race for the same job.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { openSqliteDatabase } from "../../src/metadata/sqlite.js";
import { until } from "../helpers/until.js";

const JOB_PROCESS = fileURLToPath(new URL("../helpers/job-process.js", import.meta.url));

let dir: string;
const children: ChildProcess[] = [];
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "berth-jobs-"));
});
after(async () => {
  for (const child of children) child.kill("SIGKILL");
  await rm(dir, { recursive: true, force: true });
});

interface Run {
  holder: string;
  start: number;
  end?: number;
}

async function startJobProcess(db: string, log: string, lease: number, interval: number, runFor: number | "forever"): Promise<ChildProcess> {
  const child = spawn(process.execPath, [JOB_PROCESS, db, log, String(lease), String(interval), String(runFor)], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`job process exited with ${code}`)));
  });
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

async function runs(log: string): Promise<Run[]> {
  const text = await readFile(log, "utf8").catch(() => "");
  const list: Run[] = [];
  for (const line of text.split("\n").filter(Boolean)) {
    const [kind, holder, at] = line.split(" ") as [string, string, string];
    if (kind === "start") list.push({ holder, start: Number(at) });
    else [...list].reverse().find((r) => r.holder === holder && r.end === undefined)!.end = Number(at);
  }
  return list;
}


test("two processes racing for a job: one runs it each time it is due, never both at once", async () => {
  const db = join(dir, "race.db");
  await (await openSqliteDatabase(db)).kysely.destroy();
  const log = join(dir, "race.log");
  // Both poll every 20 ms for a job due every 50 ms that runs 150 ms.
  const procs = await Promise.all([startJobProcess(db, log, 2000, 50, 150), startJobProcess(db, log, 2000, 50, 150)]);
  await until("six runs", async () => ((await runs(log)).filter((r) => r.end).length >= 6 ? true : undefined));
  await Promise.all(procs.map(stop));
  const all = await runs(log);
  for (let i = 1; i < all.length; i++) {
    const previous = all[i - 1]!;
    assert.ok(previous.end !== undefined && previous.end <= all[i]!.start, `run ${i} started before run ${i - 1} ended: ${JSON.stringify(all)}`);
    // Due again only `interval` after the end of the previous run, whichever process runs it.
    assert.ok(all[i]!.start - previous.end! >= 45, `run ${i} came too early: ${JSON.stringify(all)}`);
  }
});

test("a job not yet due again runs once however many processes ask", async () => {
  const db = join(dir, "once.db");
  await (await openSqliteDatabase(db)).kysely.destroy();
  const log = join(dir, "once.log");
  const procs = await Promise.all([1, 2, 3].map(() => startJobProcess(db, log, 2000, 60_000, 10)));
  await until("the run", async () => ((await runs(log)).some((r) => r.end) ? true : undefined));
  // Each process has polled many times (every 20 ms) by now.
  await until("polls", async () => undefined, 300).catch(() => {});
  await Promise.all(procs.map(stop));
  assert.equal((await runs(log)).length, 1);
});

test("a holder killed -9 mid-job: another process runs the job once the lease has expired", async () => {
  const db = join(dir, "killed.db");
  await (await openSqliteDatabase(db)).kysely.destroy();
  const log = join(dir, "killed.log");
  const lease = 600;
  const holder = await startJobProcess(db, log, lease, 60_000, "forever");
  const first = await until("the first run", async () => (await runs(log))[0]);
  const other = await startJobProcess(db, log, lease, 60_000, 10);
  holder.kill("SIGKILL");
  const killedAt = Date.now();
  const second = await until("a run by the other process", async () => (await runs(log)).find((r) => r.holder !== first.holder && r.end));
  // The dead holder's lease was renewed until it died, so the take waits for it to expire.
  assert.ok(second.start >= killedAt + lease / 2, `taken ${second.start - killedAt} ms after the kill, before the lease ended`);
  assert.equal((await runs(log)).length, 2);
  await stop(other);
});

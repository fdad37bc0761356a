// Child processes and /proc accounting for the benchmark: run a tool, measure its CPU, read a
// server's CPU time and peak RSS. Linux only (the benchmark reads /proc).
import { spawn, spawnSync, type SpawnOptions } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** wall time of the child, seconds */
  wall: number;
  /** user+system CPU of the child and the children it waited for, seconds */
  cpu: number;
}

let clockTicks: number | undefined;

/** USER_HZ: the unit of the times in /proc/<pid>/stat. */
function ticks(): number {
  if (clockTicks === undefined) {
    const out = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
    clockTicks = Number(out.stdout.trim()) || 100;
  }
  return clockTicks;
}

/** Fields of /proc/<pid>/stat after the command name, so index 0 is field 3 (state). */
function statFields(pid: number | "self"): string[] {
  const text = readFileSync(`/proc/${pid}/stat`, "utf8");
  return text.slice(text.lastIndexOf(")") + 2).split(" ");
}

/** A process and all its live descendants (a server may run a cluster of workers). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const parent = Number(statFields(Number(entry))[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  return tree;
}

/** CPU seconds (user+system) a live process and its live descendants have used so far. */
export function processCpu(pid: number): number {
  let total = 0;
  for (const p of processTree(pid)) {
    try {
      const f = statFields(p);
      total += (Number(f[11]) + Number(f[12])) / ticks();
    } catch {
      // the process ended while we looked
    }
  }
  return total;
}

/** CPU seconds of this process's children that have exited and been reaped (cutime+cstime). */
function reapedChildrenCpu(): number {
  const f = statFields("self");
  return (Number(f[13]) + Number(f[14])) / ticks();
}

/** CPU seconds of the client side so far: this process plus the tools it ran and reaped. */
export function clientCpu(): number {
  const own = process.cpuUsage();
  return (own.user + own.system) / 1e6 + reapedChildrenCpu();
}

/**
 * A field of /proc/<pid>/status in KiB (VmHWM, VmRSS, ...), summed over the process and its
 * descendants: for a cluster, the sum of each process's own peak (an upper bound of the whole).
 */
export function statusKiB(pid: number, field: string): number {
  let total = 0;
  for (const p of processTree(pid)) {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${p}/status`, "utf8"));
    if (!m) throw new Error(`no ${field} in /proc/${p}/status`);
    total += Number(m[1]);
  }
  return total;
}

/**
 * Proportional set size, KiB, summed over the process and its descendants: each process counts its
 * private pages plus its share of pages it shares with others (the `node` binary that every worker
 * maps is counted once in all, not once per process as in a sum of RSS).
 */
export function pssKiB(pid: number): number {
  let total = 0;
  for (const p of processTree(pid)) {
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/smaps_rollup`, "utf8"));
      if (m) total += Number(m[1]);
    } catch {
      // the process ended while we looked
    }
  }
  return total;
}

/**
 * The highest PSS of a process tree, sampled every `intervalMs` until stopped. The kernel keeps
 * no peak of PSS, so a spike shorter than the interval can be missed.
 */
export class PssSampler {
  private peakKiB = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    intervalMs = 100,
  ) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  sample(): number {
    const now = pssKiB(this.pid);
    this.peakKiB = Math.max(this.peakKiB, now);
    return now;
  }

  peak(): number {
    this.sample();
    return this.peakKiB;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * Runs a command to completion and captures its output. The child's CPU is read from this
 * process's cutime/cstime, which grow when libuv reaps the child; run measured tools one at a time.
 */
export function run(cmd: string, args: string[], options: SpawnOptions & { input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const cpuBefore = reapedChildrenCpu();
    const started = performance.now();
    const child = spawn(cmd, args, { ...options, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on("data", (b: Buffer) => out.push(b));
    child.stderr!.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      resolve({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        wall: (performance.now() - started) / 1000,
        cpu: reapedChildrenCpu() - cpuBefore,
      });
    });
    if (options.input !== undefined) child.stdin!.end(options.input);
    else child.stdin!.end();
  });
}

/** Like run(), but throws with the command's output when it exits non-zero. */
export async function runOk(cmd: string, args: string[], options: SpawnOptions & { input?: string } = {}): Promise<RunResult> {
  const r = await run(cmd, args, options);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}\n${r.stderr.slice(-2000)}${r.stdout.slice(-1000)}`);
  }
  return r;
}

export function which(cmd: string): string | undefined {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** A process and its live descendants, from /proc/<pid>/task/<tid>/children (no /proc scan). */
export function descendants(pid: number): number[] {
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${tree[i]}/task`);
    } catch {
      continue; // the process ended while we looked
    }
    for (const tid of tasks) {
      try {
        const children = readFileSync(`/proc/${tree[i]}/task/${tid}/children`, "utf8").trim();
        if (children) tree.push(...children.split(" ").map(Number));
      } catch {
        // the thread ended while we looked
      }
    }
  }
  return tree;
}

/** VmRSS and PSS summed over a process and its live descendants, KiB. */
export function treeMemoryKiB(pid: number): { rss: number; pss: number } {
  let rss = 0;
  let pss = 0;
  for (const p of descendants(pid)) {
    try {
      rss += Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/status`, "utf8"))?.[1] ?? 0);
      pss += Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p}/smaps_rollup`, "utf8"))?.[1] ?? 0);
    } catch {
      // the process ended while we looked
    }
  }
  return { rss, pss };
}

/** The highest sums of treeMemoryKiB(pid), sampled every `intervalMs` until stopped. */
export class TreeMemorySampler {
  private peakRss = 0;
  private peakPss = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    intervalMs = 250,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    const now = treeMemoryKiB(this.pid);
    this.peakRss = Math.max(this.peakRss, now.rss);
    this.peakPss = Math.max(this.peakPss, now.pss);
  }

  /** Stops sampling; the peaks seen, KiB. */
  stop(): { rss: number; pss: number } {
    clearInterval(this.timer);
    this.sample();
    return { rss: this.peakRss, pss: this.peakPss };
  }
}

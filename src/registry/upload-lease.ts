// An upload session's write lease: who holds it, and keeping it while a request writes. A lease
// names its holder (this machine, the process and when it started, the service instance), so a
// process of the same machine can see that the holder died (kill -9, a crash) and take the session
// over at once. A holder on another machine cannot be checked; it is waited out, which takes at
// most LEASE_MS since holders renew their leases while they write.
import { randomUUID } from "node:crypto";
import { readFileSync, readlinkSync } from "node:fs";
import { readFile } from "node:fs/promises";

/** How long a lease lasts unless renewed. */
export const LEASE_MS = 30_000;
/** How often a request renews the lease it holds. */
const RENEW_EVERY_MS = 10_000;

export class LeaseHolder {
  /** the holder's name recorded with the leases this service takes */
  readonly id: string;
  private readonly machine: string | undefined;

  constructor() {
    const started = ownStartTime();
    // Without its start time, this process could not be told from a later one with its pid.
    this.machine = started === undefined ? undefined : machineIdentity();
    this.id = [this.machine ?? "unknown", process.pid, started ?? "unknown", randomUUID()].join("/");
  }

  /**
   * Whether `holder` certainly holds nothing any more: a process of this machine that has exited
   * (its pid gone, a zombie, or reused by a younger process), or this very service, whose requests
   * for one session run one at a time (so its lease outlived a request whose release failed).
   */
  async isGone(holder: string): Promise<boolean> {
    if (holder === this.id) return true;
    const [machine, pid, started] = holder.split("/");
    if (this.machine === undefined || machine !== this.machine || !/^\d+$/.test(pid ?? "")) return false;
    let stat: string;
    try {
      stat = await readFile(`/proc/${pid}/stat`, "utf8");
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === "ENOENT";
    }
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state === "Z" || state === "X" || startTime(stat) !== started;
  }
}

/**
 * Keeps a taken lease while a request works: renews it every RENEW_EVERY_MS and aborts `signal`
 * once it is lost (another holder has it, or it ran out while the database could not be reached),
 * so the request stops writing bytes that are no longer its own.
 */
export class KeptLease {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private until: number,
    now: () => number,
    renew: (until: number) => Promise<boolean>,
    lost: () => Error,
    every = RENEW_EVERY_MS,
  ) {
    this.timer = setInterval(() => {
      const at = now();
      renew(at + LEASE_MS).then(
        (renewed) => {
          if (renewed) this.until = at + LEASE_MS;
          else this.controller.abort(lost());
        },
        () => {
          // The database did not answer: hold on while the lease lasts until the next turn.
          if (now() + every >= this.until) this.controller.abort(lost());
        },
      );
    }, every);
    this.timer.unref();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get lost(): boolean {
    return this.controller.signal.aborted;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * This boot of this machine and its process-id namespace: pids compare only within it (two
 * containers of one host share the boot but not the pids). Undefined without /proc.
 */
function machineIdentity(): string | undefined {
  try {
    const boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    const namespace = /\[(\d+)\]/.exec(readlinkSync("/proc/self/ns/pid"))?.[1];
    return namespace === undefined ? undefined : `${boot}:${namespace}`;
  } catch {
    return undefined;
  }
}

function ownStartTime(): string | undefined {
  try {
    return startTime(readFileSync("/proc/self/stat", "utf8"));
  } catch {
    return undefined;
  }
}

/** A process's start time (clock ticks after boot), field 22 of /proc/<pid>/stat. */
function startTime(stat: string): string | undefined {
  // The command name (field 2) may hold spaces and parentheses: count from its closing one.
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
}

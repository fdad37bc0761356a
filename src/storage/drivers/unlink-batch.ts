// Many unlinks at once on threads of their own (native/unlink-batch.c): each waits on the disk
// (a journal's commit, a discard) far longer than it runs, so they go faster side by side, and
// outside libuv's pool a serving process's reads never queue behind a collection's thousands.
import { constants, getPriority } from "node:os";
import { loadAddon } from "../../native/addon.js";

interface Native {
  /** resolves with [index, errno] for each path that could not be unlinked (absent is fine) */
  unlinkAll(paths: readonly string[], threads: number, nice: number): Promise<[number, number][]>;
}

export interface UnlinkThreads {
  /** threads unlinking side by side (at most one per path) */
  threads: number;
  /** their niceness, 0-19; never below the calling thread's */
  nice: number;
}

/** Unlinks `paths`; an absent one is not an error, any other failure rejects naming the paths. */
export async function unlinkAll(paths: readonly string[], how: UnlinkThreads): Promise<void> {
  if (paths.length === 0) return;
  const nice = Math.max(how.nice, getPriority());
  const failures = await loadAddon<Native>("unlink_batch").unlinkAll(paths, how.threads, nice);
  if (failures.length === 0) return;
  const [index, errno] = failures[0]!;
  const code = errnoName(errno);
  const more = failures.length > 1 ? ` (and ${failures.length - 1} more)` : "";
  throw Object.assign(new Error(`${code}: could not unlink ${paths[index]}${more}`), { code, errno: -errno, path: paths[index] });
}

let names: Map<number, string> | undefined;

function errnoName(errno: number): string {
  names ??= new Map(Object.entries(constants.errno).map(([name, value]) => [value, name]));
  return names.get(errno) ?? `errno ${errno}`;
}

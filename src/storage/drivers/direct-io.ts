// Large uploads are written (and read back for hashing) with O_DIRECT, past the page cache.
// An upload's bytes are read at most once before the commit, so caching them buys nothing, and
// taking a page-cache page for every 4 KiB received is what made big pushes slow: on a virtual
// machine whose balloon hands free memory back to the host (this benchmark machine), each fresh
// page costs a fault on the host (1 GiB fsynced: about 3 s through the page cache, 0.5 s direct).
// Blobs are still read through the page cache: pulls of the same image repeat.
import { constants } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { BufferPool } from "../buffer-pool.js";

/** File offsets, lengths and buffer addresses of direct I/O are multiples of this. */
export const DIRECT_ALIGN = 4096;
/** The unit of direct I/O: big enough for few syscalls, small enough to keep two per upload. */
export const DIRECT_BUFFER = 1024 * 1024;

const WASM_PAGE = 65536;

/**
 * A buffer whose address is page-aligned, as O_DIRECT requires. Node's own buffers come from
 * malloc, 16-byte aligned at best; a WebAssembly memory is mapped whole pages by V8.
 */
function alignedBuffer(size: number): Buffer {
  const memory = new WebAssembly.Memory({ initial: Math.ceil(size / WASM_PAGE) });
  return Buffer.from(memory.buffer, 0, size);
}

/** Idle aligned buffers of DIRECT_BUFFER bytes, shared by the writers and readers of a process. */
export const directBuffers = new BufferPool(DIRECT_BUFFER, 4, alignedBuffer);

export function alignDown(n: number): number {
  return n - (n % DIRECT_ALIGN);
}

/**
 * Opens `path` for direct I/O with `flags`, or resolves undefined when its filesystem refuses
 * O_DIRECT (tmpfs before Linux 6.6 does, with EINVAL): the caller then goes through the page cache.
 */
export async function openDirect(path: string, flags: number): Promise<FileHandle | undefined> {
  try {
    return await open(path, flags | constants.O_DIRECT);
  } catch (err) {
    if (isDirectRefusal(err)) return undefined;
    throw err;
  }
}

/** EINVAL from an open or a transfer: this filesystem or device does not take direct I/O as given. */
export function isDirectRefusal(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === "EINVAL";
}

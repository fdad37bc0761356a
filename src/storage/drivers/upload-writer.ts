// Appends a request body to a file being written across requests (an upload). Chunks are gathered into ~1 MiB writes, each written
// while the next one is received and hashed: one syscall per MiB, and the disk never waits on the
// network. Once a body has shown itself large (a full batch), the rest goes with O_DIRECT from
// two aligned buffers that take turns (see direct-io.ts); the few bytes before the first aligned
// offset and after the last one go through the page cache.
import { constants } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import type { Chunks } from "../driver.js";
import { alignDown, DIRECT_BUFFER, directBuffers, isDirectRefusal, openDirect } from "./direct-io.js";

/** Whether direct I/O is to be tried; a store turns it off for good when its filesystem refuses. */
export interface DirectIoSwitch {
  enabled: boolean;
}

const WRITE_BATCH = 1024 * 1024;
const EARLY_SYNC = 64 * 1024 * 1024;

/**
 * Writes `chunks` into the file at `path`, open read-write as `handle` (closed here), from offset
 * `at`, the bytes the caller knows as written; bytes past it (a request cut off midway) are cut
 * first. Returns the new size. Positional writes, hence no O_APPEND.
 */
export async function appendToFile(path: string, handle: FileHandle, at: number, chunks: Chunks, direct: DirectIoSwitch): Promise<number> {
  let writer: UploadWriter;
  try {
    await cutTo(handle, at, path);
    writer = new UploadWriter(path, handle, at, direct);
  } catch (err) {
    await handle.close();
    throw err;
  }
  try {
    try {
      for await (const chunk of chunks) await writer.add(chunk);
    } finally {
      // Whatever arrived before the source ended (or failed) is kept.
      await writer.drain();
    }
    return writer.size;
  } finally {
    await writer.close();
  }
}

/** Makes the file exactly `size` bytes long: cuts what lies past it, refuses a file shorter than that. */
export async function cutTo(handle: FileHandle, size: number, path: string): Promise<void> {
  const { size: current } = await handle.stat();
  if (current < size) throw Object.assign(new Error(`${path} holds ${current} bytes, expected at least ${size}`), { code: "ESHORT" });
  if (current > size) await handle.truncate(size);
}

class UploadWriter {
  /** where the first byte not yet handed to a write goes */
  private position: number;
  private writing: Promise<void> = Promise.resolve();
  // Through the page cache: the chunks as received.
  private batch: Uint8Array[] = [];
  private batchBytes = 0;
  private unsynced = 0;
  private syncing: Promise<void> | undefined;
  // Direct: bytes copied into `staging` (they belong at `position`), `spare` being written meanwhile.
  private directHandle: FileHandle | undefined;
  private staging: Buffer | undefined;
  private spare: Buffer | undefined;
  private staged = 0;

  constructor(
    private readonly path: string,
    private readonly handle: FileHandle,
    position: number,
    private readonly direct: DirectIoSwitch,
  ) {
    this.position = position;
  }

  get size(): number {
    return this.position + this.batchBytes + this.staged;
  }

  async add(chunk: Uint8Array): Promise<void> {
    if (this.staging) return this.stage(chunk);
    this.batch.push(chunk);
    this.batchBytes += chunk.byteLength;
    if (this.batchBytes >= WRITE_BATCH) await this.flushBatch(this.direct.enabled);
  }

  /** Writes out everything still held, and waits for every write. */
  async drain(): Promise<void> {
    if (this.staging) {
      await this.writing;
      const at = this.position;
      const aligned = alignDown(this.staged);
      const tail = this.staging.subarray(aligned, this.staged);
      this.position += this.staged;
      this.staged = 0;
      if (aligned > 0) await this.writeDirect(this.staging, aligned, at);
      if (tail.byteLength > 0) await writeFully(this.handle, [tail], at + aligned);
    } else if (this.batchBytes > 0) {
      await this.flushBatch(false);
    }
    await this.writing;
  }

  async close(): Promise<void> {
    // Every write has settled (drain), so the aligned buffers are free again.
    for (const buffer of [this.staging, this.spare]) if (buffer) directBuffers.give(buffer);
    this.staging = this.spare = undefined;
    await this.directHandle?.close();
    // The request need not wait for a background sync; the handle closes once it is done.
    if (this.syncing) void this.syncing.then(() => this.handle.close()).catch(() => undefined);
    else await this.handle.close();
  }

  /** Writes the batch through the page cache; with `goDirect`, only up to the last aligned offset. */
  private async flushBatch(goDirect: boolean): Promise<void> {
    await this.writing;
    let buffers = this.batch;
    let bytes = this.batchBytes;
    this.batch = [];
    this.batchBytes = 0;
    let rest: Uint8Array[] = [];
    if (goDirect && (await this.startDirect())) {
      const end = this.position + bytes;
      const past = end - alignDown(end);
      [buffers, rest] = splitAt(buffers, bytes - past);
      bytes -= past;
    }
    if (bytes > 0) this.writeBuffered(buffers, bytes);
    for (const piece of rest) await this.stage(piece);
  }

  private writeBuffered(buffers: Uint8Array[], bytes: number): void {
    const at = this.position;
    this.position += bytes;
    this.unsynced += bytes;
    this.writing = writeFully(this.handle, buffers, at);
    // A failure surfaces at the next await of `writing`; until then it must not go unhandled.
    this.writing.catch(() => undefined);
    // The kernel would start writing a large upload back only at the commit's fsync; syncing in
    // the background every so often lets the disk work while the rest arrives (+12–18% on a 1 GiB
    // push through the page cache). Its outcome does not matter: the commit's fsync is the durable one.
    if (this.unsynced >= EARLY_SYNC && !this.syncing) {
      this.unsynced = 0;
      this.syncing = this.writing
        .then(() => this.handle.datasync())
        .then(
          () => (this.syncing = undefined),
          () => (this.syncing = undefined),
        );
    }
  }

  /** Switches to direct writes; false when the filesystem refuses them or no buffer can be had. */
  private async startDirect(): Promise<boolean> {
    try {
      this.directHandle = await openDirect(this.path, constants.O_WRONLY);
      if (!this.directHandle) {
        this.direct.enabled = false;
        return false;
      }
      this.staging = directBuffers.take();
      this.spare = directBuffers.take();
      return true;
    } catch {
      // No aligned memory to be had (address space): this body goes through the page cache.
      if (this.staging) directBuffers.give(this.staging);
      this.staging = undefined;
      await this.directHandle?.close();
      this.directHandle = undefined;
      return false;
    }
  }

  private async stage(chunk: Uint8Array): Promise<void> {
    for (let offset = 0; offset < chunk.byteLength; ) {
      const n = Math.min(chunk.byteLength - offset, DIRECT_BUFFER - this.staged);
      this.staging!.set(chunk.subarray(offset, offset + n), this.staged);
      this.staged += n;
      offset += n;
      if (this.staged === DIRECT_BUFFER) await this.flushStaging();
    }
  }

  private async flushStaging(): Promise<void> {
    await this.writing;
    const full = this.staging!;
    const at = this.position;
    this.position += DIRECT_BUFFER;
    this.staged = 0;
    // The spare's write has finished (awaited above): it fills while `full` is written.
    this.staging = this.spare!;
    this.spare = full;
    this.writing = this.writeDirect(full, DIRECT_BUFFER, at);
    this.writing.catch(() => undefined);
  }

  /** An aligned write past the page cache, or through it when the device turns out to refuse. */
  private async writeDirect(buffer: Buffer, length: number, at: number): Promise<void> {
    const piece = buffer.subarray(0, length);
    try {
      await writeFully(this.directHandle!, [piece], at);
    } catch (err) {
      if (!isDirectRefusal(err)) throw err;
      this.direct.enabled = false;
      await writeFully(this.handle, [piece], at);
    }
  }
}

async function writeFully(handle: FileHandle, buffers: Uint8Array[], position: number): Promise<void> {
  let pending = buffers;
  let at = position;
  while (pending.length > 0) {
    const { bytesWritten } = await handle.writev(pending, at);
    at += bytesWritten;
    pending = splitAt(pending, bytesWritten)[1];
  }
}

/** The first `count` bytes of `buffers`, and the rest. */
function splitAt(buffers: Uint8Array[], count: number): [Uint8Array[], Uint8Array[]] {
  const head: Uint8Array[] = [];
  const rest: Uint8Array[] = [];
  let left = count;
  for (const b of buffers) {
    if (left >= b.byteLength) head.push(b);
    else if (left > 0) {
      head.push(b.subarray(0, left));
      rest.push(b.subarray(left));
    } else rest.push(b);
    left = Math.max(left - b.byteLength, 0);
  }
  return [head, rest];
}

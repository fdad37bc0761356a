// The contract every blob driver fulfils. Blobs are content-addressed and immutable once
// committed; uploads are private scratch objects that become blobs by an atomic commit.
import type { Readable, Writable } from "node:stream";

export interface ByteRange {
  /** first byte, inclusive */
  start: number;
  /** last byte, inclusive */
  end: number;
}

export type Chunks = AsyncIterable<Uint8Array>;

/** A blob's bytes as a stream; a driver that can copy them into a writable faster adds `copyTo`. */
export interface BlobBody extends Readable {
  /** Writes every byte into `dest` without ending it; the body is used up either way. */
  copyTo?(dest: Writable): Promise<void>;
}

export interface AppendOptions {
  /** the upload's size as the caller last read it (under its lease): saves the driver a lookup */
  at?: number;
  /** make the bytes durable before resolving (the last chunk before a commit) */
  sync?: boolean;
  /**
   * Told now and then while a long body is being written: the upload's size so far, every byte
   * before which readUpload can read from then on. A driver may never call it.
   */
  progress?: (size: number) => void;
  /** once aborted, nothing more is written (not even what is held for a batch); the append rejects with its reason */
  signal?: AbortSignal;
}

export interface BlobStore {
  /** Size of a committed blob, or undefined when absent. */
  stat(digest: string): Promise<number | undefined>;
  /** Streams a committed blob (or a byte range of it). Resolves undefined when absent. */
  read(digest: string, range?: ByteRange): Promise<BlobBody | undefined>;
  /** A small committed blob whole (callers keep this to blobs of a few KiB), or undefined when absent. */
  readSmall(digest: string): Promise<Buffer | undefined>;
  /** Removes a committed blob; false when it was absent. */
  delete(digest: string): Promise<boolean>;
  /** Every committed blob digest (for garbage collection and consistency checks). */
  list(): AsyncIterable<string>;

  /**
   * Bytes received so far by upload `id`; 0 when nothing was written to it yet. Which uploads
   * exist is the metadata's business: here an upload is only scratch bytes, made by its first append.
   */
  uploadSize(id: string): Promise<number>;
  /**
   * Appends chunks to an upload, creating it when absent. Returns the new size. If writing fails
   * midway, the upload keeps whatever was appended; callers re-read uploadSize().
   */
  append(id: string, chunks: Chunks, options?: AppendOptions): Promise<number>;
  /**
   * Cuts an upload back to its first `size` bytes (no more than it holds): what a refused append
   * wrote is forgotten, and its space freed.
   */
  truncateUpload(id: string, size: number): Promise<void>;
  /**
   * The bytes of an upload, all or a range of them (to hash what no running hash has seen). A
   * chunk may be reused for the next one: use it before asking for more. A range beyond the
   * upload's end fails.
   */
  readUpload(id: string, range?: ByteRange): Promise<Chunks>;
  /**
   * Atomically turns the upload (empty when never written) into the blob `digest` and removes
   * the upload; the caller has verified the digest. If the blob exists already, the result is the
   * same blob. `synced`: the last append made the bytes durable, so the commit need not.
   */
  commit(id: string, digest: string, options?: { synced?: boolean }): Promise<void>;
  /** Discards an upload; no error when absent. */
  deleteUpload(id: string): Promise<void>;
}

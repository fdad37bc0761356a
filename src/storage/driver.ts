// The storage driver contract: keys and bytes, nothing about registries. Every backend
// (filesystem, memory, S3) implements it and passes the one shared suite
// (test/storage/driver-suite.ts); content addressing, verification, commit and linking live once,
// above it, in the registry's blob and upload services.
//
// Keys are `/`-separated paths without a leading slash, of the shape `src/storage/keys.ts`
// accepts (the registry's are `blobs/<alg>/<2 hex>/<hex>` and `uploads/<id>`, the filesystem's
// layout since the first release); a driver maps them to files or object keys under its own root.
// Keys form a tree, as paths do: no key is another key followed by `/…` (a file cannot also be a
// directory), which S3 would allow but the filesystem cannot.
import type { Readable, Writable } from "node:stream";

export interface ByteRange {
  /** first byte, inclusive */
  start: number;
  /** last byte, inclusive */
  end: number;
}

export type Chunks = AsyncIterable<Uint8Array>;

/** An object's bytes as a stream; a driver that can copy them into a writable faster adds `copyTo`. */
export interface ObjectBody extends Readable {
  /** Writes every byte into `dest` without ending it; the body is used up either way. */
  copyTo?(dest: Writable): Promise<void>;
}

export interface ObjectInfo {
  key: string;
  size: number;
  /** last modification, epoch ms */
  modified: number;
}

/**
 * Appends a request's bytes to an object that is still being written (an upload). A writer is
 * opened by one request and closed at its end; a later request, in any process on any node, opens
 * a new one at the size the registry recorded, with the `state` the previous writer left.
 */
export interface ObjectWriter {
  /** Bytes written so far, every one of them durable once `write` has resolved. */
  readonly size: number;
  /**
   * What a later writer needs to continue (an S3 multipart upload id and its parts, for
   * instance): small, JSON-safe, saved by the registry with the upload. Read it after `write`.
   */
  readonly state: string;
  /**
   * Appends `chunks`. Resolves with the new size once every byte is durable where any node can
   * continue from it. On failure the object holds an unknown prefix of the chunks; the caller
   * keeps its last recorded size and continues from there. `durable`, when given, is told now and
   * then while the chunks arrive a size up to which every byte is durable: a writer opened later
   * at any `at` up to it, with `state` as it is then, continues from there (what the registry
   * records as a checkpoint, so a writer killed midway loses only what came since). A driver may
   * never call it (one whose bytes become durable only at the end of a write).
   * `length`, when the request declared it, is how many bytes `chunks` hold: a driver may then
   * stream them to storage without collecting them (S3: straight into parts). Chunks that end
   * short of it or run past it fail the write, as any broken body does.
   */
  write(chunks: Chunks, durable?: (size: number) => void, length?: number): Promise<number>;
  /** Makes the bytes written so far the object's final content at its key. */
  commit(): Promise<void>;
  /** Discards everything written, here and by earlier writers. */
  cancel(): Promise<void>;
}

export interface WriterOptions {
  /**
   * Continue at this many bytes (what the registry recorded as acknowledged); bytes an earlier
   * writer wrote past it (a request cut off midway) are discarded. 0 or absent starts afresh.
   */
  at?: number;
  /** `state` of the writer that wrote the first `at` bytes */
  state?: string;
}

export interface StorageDriver {
  /** For logs and errors: `filesystem`, `inmemory`, `s3`. */
  readonly name: string;
  /** An object's size and age, or undefined when absent. */
  stat(key: string): Promise<ObjectInfo | undefined>;
  /** Streams an object (or a byte range of it); undefined when absent. A range past the end fails. */
  get(key: string, range?: ByteRange): Promise<ObjectBody | undefined>;
  /** A small object whole (callers keep this to a few KiB), or undefined when absent. */
  getSmall(key: string): Promise<Buffer | undefined>;
  /** Writes a whole object atomically (readers see the old bytes or the new, never half). */
  put(key: string, data: Uint8Array): Promise<void>;
  /** Opens a writer for an object being written in pieces, across requests. */
  writer(key: string, options?: WriterOptions): Promise<ObjectWriter>;
  /**
   * Renames `from` to `to`, replacing `to` (atomically where the backend can: a reader of `to`
   * sees the old object or the new). `from` is gone afterwards.
   */
  move(from: string, to: string): Promise<void>;
  /** Removes objects; absent keys are not an error. Backends batch (S3: 1000 keys a call). */
  delete(keys: readonly string[]): Promise<void>;
  /** Every object whose key starts with `prefix`, in byte order of their keys, page by page. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /**
   * A URL the client may GET the object from directly (a presigned S3 URL), valid for
   * `expiresInSeconds`; absent when the backend has none or redirects are off.
   */
  url?(key: string, expiresInSeconds: number): Promise<string | undefined>;
  /** Checks the backend is reachable and usable (start-up and `/readyz`); throws a readable error. */
  check(): Promise<void>;
}

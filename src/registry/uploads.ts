// Blob uploads: sessions, chunks, commit, over the storage driver contract. A session is a row in
// the metadata database holding how far it got: the bytes acknowledged, the running SHA-256's
// saved state and the storage writer's. Each request takes the session's lease, continues the
// writer and the hash where the row says, and records both as it gives the lease back, so any
// process on any node continues a session and its commit never re-reads the bytes.
import { createHash, randomUUID, type Hash } from "node:crypto";
import type { ParsedDigest } from "../content/digest.js";
import { ResumableHash } from "../content/resumable-hash.js";
import type { UploadProgress, UploadRecord } from "../metadata/store.js";
import type { Chunks, ObjectWriter } from "../storage/driver.js";
import { isUploadId } from "../storage/upload-id.js";
import type { RegistryContext } from "./context.js";
import { RegistryError, uploadUnknown } from "./errors.js";
import { blobKey, uploadKey } from "./storage-keys.js";
import { toDigest } from "./validate.js";

export interface UploadState {
  id: string;
  /** bytes received so far */
  size: number;
}

export interface ContentRange {
  start: number;
  end: number;
}

/** How long one request may hold an upload session; a crashed writer frees it after this. */
const UPLOAD_LEASE_MS = 15 * 60_000;

/** The session a request holds: what to record when it gives the lease back. */
interface Lease {
  /** recorded with the release; absent: the session stays as it was before the request */
  progress?: UploadProgress;
  /** the session was deleted (committed or cancelled): nothing to release */
  ended: boolean;
}

export class UploadService {
  /** one request at a time per session in this process; the lease keeps out the others */
  private readonly busy = new Map<string, Promise<unknown>>();

  constructor(private readonly ctx: RegistryContext) {
    // Loads the hash addon now: a build without it stops at start-up, not at the first chunk.
    ResumableHash.create("sha256");
  }

  async start(repository: string): Promise<UploadState> {
    const id = randomUUID();
    const at = this.ctx.now();
    // Only metadata: the upload's bytes appear with its first chunk.
    await this.ctx.meta.createUpload({ id, repository, createdAt: at, updatedAt: at });
    return { id, size: 0 };
  }

  async status(repository: string, id: string): Promise<UploadState> {
    if (!isUploadId(id)) throw uploadUnknown(id);
    const upload = await this.ctx.meta.getUpload(id);
    if (!upload || upload.repository !== repository) throw uploadUnknown(id);
    return { id, size: upload.size };
  }

  /** Appends a chunk. `range`, when the client sent Content-Range, must start where the upload ends. */
  async append(repository: string, id: string, body: Chunks, range?: ContentRange): Promise<UploadState> {
    return this.exclusive(repository, id, async (upload, lease) => {
      if (range) checkRange(range, upload.size);
      const hash = this.runningHash(upload);
      const writer = await this.writerOf(upload);
      const size = await writer.write(hash ? hashing(body, hash) : body);
      if (range) checkBodyLength(range, upload.size, size);
      lease.progress = { size, hashState: hash?.state() ?? null, writerState: writer.state };
      return { id, size };
    });
  }

  /**
   * Appends an optional last chunk, verifies the digest and commits the blob. A digest that does
   * not match leaves the session as it was before this request.
   */
  async complete(repository: string, id: string, digestParam: string | null, body: Chunks | undefined, range?: ContentRange) {
    if (digestParam === null) throw new RegistryError("DIGEST_INVALID", "the digest query parameter is required to complete an upload");
    const expected = toDigest(digestParam);
    return this.exclusive(repository, id, async (upload, lease) => {
      if (range) checkRange(range, upload.size);
      const writer = await this.writerOf(upload);
      let size = upload.size;
      let actual: string | undefined;
      if (size === 0) {
        // The whole blob in this request (or none): Node's own hash of the algorithm asked for.
        const hash = createHash(expected.algorithm);
        if (body) size = await writer.write(nativeHashing(body, hash));
        actual = `${expected.algorithm}:${hash.digest("hex")}`;
      } else {
        const hash = this.runningHash(upload);
        if (body) size = await writer.write(hash ? hashing(body, hash) : body);
        if (hash?.algorithm === expected.algorithm) actual = hash.digest();
      }
      if (range && body) checkBodyLength(range, upload.size, size);
      if (actual !== undefined) {
        if (actual !== expected.digest) throw digestMismatch(expected, actual);
        await writer.commit();
      } else {
        actual = await this.digestByReading(upload.id, writer, expected);
        if (actual !== expected.digest) {
          // The bytes were committed to be read: the session cannot go on.
          await this.discard({ ...upload, size });
          lease.ended = true;
          throw digestMismatch(expected, actual);
        }
      }
      // Over an existing blob too: its bytes are the same (same digest), and a move is cheaper
      // than asking first.
      await this.ctx.storage.move(uploadKey(id), blobKey(actual));
      await this.ctx.meta.commitUpload(id, { repository, digest: actual, size, at: this.ctx.now() });
      lease.ended = true;
      return { digest: actual, size };
    });
  }

  /** Monolithic upload: one request carries the whole blob. */
  async putWhole(repository: string, digestParam: string, body: Chunks) {
    const expected = toDigest(digestParam);
    const { id } = await this.start(repository);
    try {
      return await this.complete(repository, id, expected.digest, body);
    } catch (err) {
      await this.discard({ id, size: 0, writerState: null });
      throw err;
    }
  }

  /**
   * Links an existing blob of repository `from` into `repository` without moving bytes. Returns
   * the size, or undefined when `from` does not hold it.
   */
  async mount(repository: string, digestParam: string, from: string): Promise<number | undefined> {
    const digest = toDigest(digestParam).digest;
    const size = await this.ctx.meta.linkedBlobSize(from, digest);
    if (size === undefined || (await this.ctx.storage.stat(blobKey(digest)))?.size !== size) return undefined;
    await this.ctx.meta.linkBlob(repository, digest, size, this.ctx.now());
    return size;
  }

  /** Where a blob could be mounted from when the client names no source (automatic cross-mount). */
  async mountSources(digestParam: string): Promise<string[]> {
    return this.ctx.meta.repositoriesWithBlob(toDigest(digestParam).digest, 20);
  }

  /** Under the session's lease, so that no chunk still being written recreates its bytes. */
  async cancel(repository: string, id: string): Promise<void> {
    await this.exclusive(repository, id, async (upload, lease) => {
      await this.discard(upload);
      lease.ended = true;
    });
  }

  /** Removes sessions untouched since `before`; returns how many. */
  async purgeStale(before: number): Promise<number> {
    let purged = 0;
    for (;;) {
      const stale = await this.ctx.meta.staleUploads(before, 100);
      for (const upload of stale) await this.discard(upload);
      purged += stale.length;
      if (stale.length < 100) return purged;
    }
  }

  /** Removes a session's bytes (being written, or committed but not yet moved), then its row. */
  private async discard(upload: Pick<UploadRecord, "id" | "size" | "writerState">): Promise<void> {
    const key = uploadKey(upload.id);
    await (await this.writerOf(upload)).cancel();
    await this.ctx.storage.delete([key]);
    await this.ctx.meta.deleteUpload(upload.id);
  }

  private writerOf(upload: Pick<UploadRecord, "id" | "size" | "writerState">): Promise<ObjectWriter> {
    return this.ctx.storage.writer(uploadKey(upload.id), { at: upload.size, state: upload.writerState ?? undefined });
  }

  /**
   * The session's SHA-256 over its bytes so far, from its saved state; undefined when the state
   * cannot be used (written by another build, or damaged): the commit then reads the bytes.
   */
  private runningHash(upload: UploadRecord): ResumableHash | undefined {
    if (upload.hashState === null) return upload.size === 0 ? ResumableHash.create("sha256") : undefined;
    try {
      return ResumableHash.restore("sha256", upload.hashState);
    } catch (err) {
      this.ctx.log.warn({ upload: upload.id, err: (err as Error).message }, "unusable hash state: the upload will be read at its commit");
      return undefined;
    }
  }

  /**
   * The digest of an upload no running hash covers in `expected`'s algorithm (a sha512 digest of
   * a chunked upload, or a lost hash state): commits the writer so the bytes can be read, and
   * reads them once.
   */
  private async digestByReading(id: string, writer: ObjectWriter, expected: ParsedDigest): Promise<string> {
    this.ctx.log.info({ upload: id, size: writer.size }, "no running hash of this digest's algorithm: re-reading the upload");
    await writer.commit();
    const body = await this.ctx.storage.get(uploadKey(id));
    if (!body) throw new Error(`upload ${id} vanished between its commit and its reading`);
    const hash = createHash(expected.algorithm);
    for await (const chunk of body) hash.update(chunk as Uint8Array);
    return `${expected.algorithm}:${hash.digest("hex")}`;
  }

  /**
   * Runs `work` as the session's only writer: requests in this process queue up; a request while
   * another process or node holds the session's lease is refused (416, with the Range). The lease
   * is given back afterwards with whatever progress `work` recorded.
   */
  private async exclusive<T>(repository: string, id: string, work: (upload: UploadRecord, lease: Lease) => Promise<T>): Promise<T> {
    if (!isUploadId(id)) throw uploadUnknown(id);
    const leased = async () => {
      const now = this.ctx.now();
      // One statement takes the lease, marks the session as touched and reads it.
      const upload = await this.ctx.meta.leaseUpload(id, now, now + UPLOAD_LEASE_MS);
      if (upload === undefined) {
        const current = await this.ctx.meta.getUpload(id);
        if (!current) throw uploadUnknown(id);
        throw new RegistryError("BLOB_UPLOAD_INVALID", "another request is writing to this upload", undefined, 416, {
          Range: rangeHeader(current.size),
        });
      }
      const lease: Lease = { ended: false };
      try {
        if (upload.repository !== repository) throw uploadUnknown(id);
        return await work(upload, lease);
      } finally {
        if (!lease.ended) await this.ctx.meta.releaseUpload(id, lease.progress);
      }
    };
    const previous = this.busy.get(id) ?? Promise.resolve();
    const current = previous.then(leased, leased);
    const settled = current.catch(() => undefined);
    this.busy.set(id, settled);
    try {
      return await current;
    } finally {
      if (this.busy.get(id) === settled) this.busy.delete(id);
    }
  }
}

async function* hashing(body: Chunks, hash: ResumableHash): Chunks {
  for await (const chunk of body) {
    hash.update(chunk);
    yield chunk;
  }
}

async function* nativeHashing(body: Chunks, hash: Hash): Chunks {
  for await (const chunk of body) {
    hash.update(chunk);
    yield chunk;
  }
}

function digestMismatch(expected: ParsedDigest, actual: string): RegistryError {
  return new RegistryError("DIGEST_INVALID", "provided digest did not match uploaded content", { expected: expected.digest, actual });
}

function checkRange(range: ContentRange, size: number): void {
  if (range.start !== size || range.end < range.start) {
    throw new RegistryError(
      "BLOB_UPLOAD_INVALID",
      `chunk range ${range.start}-${range.end} does not continue the upload at offset ${size}`,
      { expectedStart: size },
      416,
      { Range: rangeHeader(size) },
    );
  }
}

/**
 * A body that ended before its Content-Range did (or went past it, sent without Content-Length) is
 * refused, and the session keeps the size and hash state it had before the request.
 */
function checkBodyLength(range: ContentRange, before: number, after: number): void {
  if (after === range.end + 1) return;
  throw new RegistryError(
    "BLOB_UPLOAD_INVALID",
    `the chunk held ${after - before} bytes where its Content-Range ${range.start}-${range.end} announced ${range.end - range.start + 1}`,
    { received: after - before },
    416,
    { Range: rangeHeader(before) },
  );
}

/** The `Range` header of an upload holding `size` bytes (`0-0` when empty, as clients expect). */
export function rangeHeader(size: number): string {
  return `0-${Math.max(size - 1, 0)}`;
}

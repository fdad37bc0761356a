// Blob uploads: sessions, chunks, commit, over the storage driver contract. A session is a row in
// the metadata database holding how far it got: the bytes acknowledged, the running SHA-256's
// saved state and the storage writer's. Each request takes the session's lease (upload-lease.ts),
// continues the writer and the hash where the row says, records checkpoints while a long body
// arrives (upload-checkpoints.ts), and records where it ended as it gives the lease back. So any
// process on any node continues a session, the commit never re-reads the bytes, and a process
// that took over from one killed midway continues from that one's last checkpoint.
import { createHash, randomUUID } from "node:crypto";
import type { ParsedDigest } from "../content/digest.js";
import { ResumableHash } from "../content/resumable-hash.js";
import { BlobBeingCollected, type UploadProgress, type UploadRecord } from "../metadata/store.js";
import type { Chunks, ObjectWriter } from "../storage/driver.js";
import { isUploadId } from "../storage/upload-id.js";
import type { RegistryContext } from "./context.js";
import { faultOf, RegistryError, uploadUnknown } from "./errors.js";
import { blobKey, uploadKey } from "./storage-keys.js";
import { Checkpoints } from "./upload-checkpoints.js";
import { KeptLease, LEASE_MS, LeaseHolder } from "./upload-lease.js";
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

/** A request's hold on a session (see exclusive). */
interface Hold {
  /** the session's write lease, kept while the request runs */
  lease: KeptLease;
  /** what to record as the lease is given back; absent: the last checkpoint, else `fallback` */
  progress?: UploadProgress;
  /** what a session taken over from a dead holder's checkpoint records at least */
  fallback?: UploadProgress;
  /** checkpoints recorded while a body arrives; settled before the lease is given back */
  checkpoints?: Checkpoints;
  /** the session was deleted (committed or cancelled): there is no lease left to release */
  ended: boolean;
}

/** What a body is hashed with: the resumable hash, or Node's own for a blob sent whole. */
interface Hasher {
  update(chunk: Uint8Array): unknown;
}

export class UploadService {
  /** one request at a time per session in this process; the lease keeps out the others */
  private readonly busy = new Map<string, Promise<unknown>>();
  /** the name this service's leases carry */
  private readonly holder = new LeaseHolder();

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
    // A holder killed midway: its last checkpoint is where the next request will continue.
    const checkpoint = await this.deadHoldersCheckpoint(upload);
    return { id, size: checkpoint?.size ?? upload.size };
  }

  /**
   * Appends a chunk. `range`, when the client sent Content-Range, must start where the upload
   * ends and span exactly the body.
   */
  async append(repository: string, id: string, body: Chunks, range?: ContentRange, length?: number): Promise<UploadState> {
    return this.exclusive(repository, id, async (upload, hold) => {
      if (range) checkRange(range, upload.size);
      await this.refusing(hold, upload, () => this.checkQuota(repository, upload.size, range ? range.end - range.start + 1 : length));
      const hash = this.runningHash(upload);
      const writer = await this.writerOf(upload);
      const size = await this.write(upload, writer, body, hold, hash, range, length);
      hold.progress = { size, hashState: hash?.state() ?? null, writerState: writer.state };
      return { id, size };
    });
  }

  /**
   * Appends an optional last chunk, verifies the digest and commits the blob. A digest that does
   * not match, or a fault before the commit, leaves the session as it was before this request.
   */
  async complete(repository: string, id: string, digestParam: string | null, body: Chunks | undefined, range?: ContentRange, length?: number) {
    if (digestParam === null) throw new RegistryError("DIGEST_INVALID", "the digest query parameter is required to complete an upload");
    const expected = toDigest(digestParam);
    return this.exclusive(repository, id, async (upload, hold) => {
      if (range) checkRange(range, upload.size);
      if (body) await this.refusing(hold, upload, () => this.checkQuota(repository, upload.size, range ? range.end - range.start + 1 : length, expected.digest));
      const writer = await this.writerOf(upload);
      let size = upload.size;
      let actual: string | undefined;
      if (size === 0) {
        // The whole blob in this request (or none): Node's own hash of the algorithm asked for.
        const hash = createHash(expected.algorithm);
        if (body) size = await this.write(upload, writer, body, hold, hash, range, length);
        actual = `${expected.algorithm}:${hash.digest("hex")}`;
      } else {
        const hash = this.runningHash(upload);
        if (body) size = await this.write(upload, writer, body, hold, hash, range, length);
        if (hash?.algorithm === expected.algorithm) actual = hash.digest();
      }
      if (actual !== undefined) {
        if (actual !== expected.digest) throw this.refused(hold, upload, digestMismatch(expected, actual));
        if (hold.lease.lost) throw leaseLost();
        // A fault here (a full disk) leaves the session as it was: the same PUT can be sent again.
        await this.refusing(hold, upload, () => writer.commit());
      } else {
        actual = await this.digestByReading(upload.id, writer, expected);
        if (actual !== expected.digest) {
          // The bytes were committed to be read: the session cannot go on.
          await this.discard({ ...upload, size });
          hold.ended = true;
          throw digestMismatch(expected, actual);
        }
      }
      const digest = actual;
      // Garbage collection leaves a held digest alone: bytes about to appear at its key are not
      // deleted under the commit (src/lifecycle/gc.ts has the protocol).
      await this.refusing(hold, upload, () => this.holdBlob(digest, size, id));
      // Over an existing blob too: its bytes are the same (same digest), and a move is cheaper
      // than asking first.
      try {
        await this.refusing(hold, upload, () => this.ctx.storage.move(uploadKey(id), blobKey(digest)));
      } catch (err) {
        await this.ctx.meta.releaseBlobHold(digest, id).catch(() => undefined);
        throw err;
      }
      try {
        await this.ctx.meta.commitUpload(id, { repository, digest, size, at: this.ctx.now() });
      } catch (err) {
        // The bytes are a blob now, linked nowhere (a retried push moves over it; garbage
        // collection reclaims it). Removing it could break another repository holding the same digest.
        await this.ctx.meta.releaseBlobHold(digest, id).catch(() => undefined);
        await this.abandon({ ...upload, size });
        hold.ended = true;
        if (err instanceof BlobBeingCollected) throw collecting(digest);
        throw err;
      }
      hold.ended = true;
      return { digest: actual, size };
    });
  }

  /** Monolithic upload: one request carries the whole blob. */
  async putWhole(repository: string, digestParam: string, body: Chunks, length?: number) {
    const expected = toDigest(digestParam);
    await this.checkQuota(repository, 0, length, expected.digest);
    const { id } = await this.start(repository);
    try {
      return await this.complete(repository, id, expected.digest, body, undefined, length);
    } catch (err) {
      await this.abandon({ id, size: 0, writerState: null });
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
    // Checked again as the link is written: a sweep may have taken the blob since.
    return (await this.ctx.meta.mountBlob(repository, digest, size, from, this.ctx.now())) ? size : undefined;
  }

  /** Where a blob could be mounted from when the client names no source (automatic cross-mount). */
  async mountSources(digestParam: string): Promise<string[]> {
    return this.ctx.meta.repositoriesWithBlob(toDigest(digestParam).digest, 20);
  }

  /** Under the session's lease, so that no chunk still being written recreates its bytes. */
  async cancel(repository: string, id: string): Promise<void> {
    await this.exclusive(repository, id, async (upload, hold) => {
      await this.discard(upload);
      hold.ended = true;
    });
  }

  /**
   * Holds `digest` for the commit of session `id`, waiting while a sweep has it claimed (a claim
   * lasts one batch of deletions); 503 if that takes longer than HOLD_WAIT_MS.
   */
  private async holdBlob(digest: string, size: number, id: string): Promise<void> {
    // The wait is in real time whatever the registry's clock (tests control that one).
    const start = performance.now();
    for (let pause = 10; ; pause = Math.min(pause * 2, 500)) {
      const now = this.ctx.now();
      if (await this.ctx.meta.holdBlob(digest, size, id, now, now + HOLD_MS)) return;
      if (performance.now() - start > HOLD_WAIT_MS) throw collecting(digest);
      await new Promise((resume) => setTimeout(resume, pause));
    }
  }

  /**
   * Refuses (403 DENIED) before its bytes a request whose body (`length` bytes, when declared)
   * would take the blob of `size` bytes so far past its tenancy's storage quota; a blob `digest`
   * the tenancy stores already adds nothing. The commit decides again, exactly.
   */
  private async checkQuota(repository: string, size: number, length: number | undefined, digest?: string): Promise<void> {
    if (length === undefined || length === 0) return;
    const refusal = await this.ctx.meta.storageRefusal(repository, size + length, digest);
    if (refusal) throw faultOf(refusal)!;
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

  /**
   * Streams `body` into `writer`: hashed on the way, refused (416) as soon as it runs past `range`
   * or when it ends short of it, stopped once the lease is lost. With the resumable hash, the
   * session's progress is recorded now and then as the writer makes bytes durable. A body refused
   * (a wrong length, a full disk) leaves the session as it was before the request; one the client
   * broke off leaves it at its last checkpoint, for the client to resume from. The body's declared
   * length (its Content-Range or Content-Length) lets the writer stream it without collecting it.
   */
  private async write(
    upload: UploadRecord,
    writer: ObjectWriter,
    body: Chunks,
    hold: Hold,
    hash: Hasher | undefined,
    range?: ContentRange,
    length?: number,
  ): Promise<number> {
    const checkpoints =
      hash instanceof ResumableHash
        ? new Checkpoints(upload.size, this.ctx.now, (progress) => this.ctx.meta.recordUploadCheckpoint(upload.id, this.holder.id, progress), (err) =>
            this.ctx.log.warn({ err, upload: upload.id }, "could not record an upload's checkpoint"),
          )
        : undefined;
    hold.checkpoints = checkpoints;
    const source = received(body, hash, range, hold.lease.signal, upload.size, checkpoints);
    try {
      const declared = range ? range.end - range.start + 1 : length;
      return await this.refusing(hold, upload, () => writer.write(source, checkpoints && ((size) => checkpoints.durable(size, writer.state)), declared));
    } catch (err) {
      // A refused body's bytes are cut at once: on a full disk, the space is what the next write needs.
      if (hold.progress === undefined || hold.lease.lost) throw err;
      try {
        await (await this.writerOf(upload)).write(nothing());
      } catch (cutErr) {
        this.ctx.log.warn({ err: cutErr, upload: upload.id }, "could not cut back a refused chunk's bytes");
      }
      throw err;
    }
  }

  /**
   * Runs `work`; when it fails with a refusal (a RegistryError) or a storage or database fault,
   * the session goes back to where it was before the request, undoing any checkpoint.
   */
  private async refusing<T>(hold: Hold, upload: UploadRecord, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof RegistryError || faultOf(err)) this.refused(hold, upload, err);
      throw err;
    }
  }

  /** Sets the session back to `upload`'s progress when the lease is given back; returns `err`. */
  private refused<E>(hold: Hold, upload: UploadRecord, err: E): E {
    // A lost lease leaves the session to whoever holds it now.
    if (!hold.lease.lost) hold.progress = progressOf(upload);
    return err;
  }

  /** Removes a session's bytes (being written, or committed but not yet moved), then its row. */
  private async discard(upload: Pick<UploadRecord, "id" | "size" | "writerState">): Promise<void> {
    const key = uploadKey(upload.id);
    await (await this.writerOf(upload)).cancel();
    await this.ctx.storage.delete([key]);
    await this.ctx.meta.deleteUpload(upload.id);
  }

  /** Discards a session after a failure, which stays the error to answer; the purger ends what this cannot. */
  private async abandon(upload: Pick<UploadRecord, "id" | "size" | "writerState">): Promise<void> {
    try {
      await this.discard(upload);
    } catch (err) {
      this.ctx.log.warn({ err, upload: upload.id }, "could not discard an upload session after a failure");
    }
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
   * another holder's lease runs is refused (416, with the Range), unless that holder is a process
   * of this machine that has exited. The lease is kept while `work` runs and given back afterwards
   * with whatever progress `work` recorded.
   */
  private async exclusive<T>(repository: string, id: string, work: (upload: UploadRecord, hold: Hold) => Promise<T>): Promise<T> {
    if (!isUploadId(id)) throw uploadUnknown(id);
    const leased = async () => {
      const now = this.ctx.now();
      // One statement takes the lease, marks the session as touched and reads it.
      const leased = await this.ctx.meta.leaseUpload(id, now, now + LEASE_MS, this.holder.id);
      const { upload, promoted } = leased ? { upload: leased, promoted: false } : await this.takeOver(id, now);
      const lease = new KeptLease(now + LEASE_MS, this.ctx.now, (until) => this.ctx.meta.renewUploadLease(id, this.holder.id, until), leaseLost);
      const hold: Hold = { lease, ended: false, fallback: promoted ? progressOf(upload) : undefined };
      let result: T;
      try {
        if (upload.repository !== repository) throw uploadUnknown(id);
        result = await work(upload, hold);
      } catch (err) {
        await this.finish(id, hold, false);
        throw err;
      }
      await this.finish(id, hold, true);
      return result;
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

  /**
   * Takes the lease of a session someone else holds, if that holder is gone (killed mid-request);
   * the session goes on from that holder's last checkpoint (`promoted`). A lease this very service
   * left behind (its release failed) is taken back as the session was recorded: that request's
   * outcome was decided, its checkpoints are not to be trusted. Returns the session.
   */
  private async takeOver(id: string, now: number): Promise<{ upload: UploadRecord; promoted: boolean }> {
    const record = await this.ctx.meta.getUpload(id);
    if (!record) throw uploadUnknown(id);
    const holder = record.lease?.holder;
    if (holder && (await this.holder.isGone(holder))) {
      const upload = await this.ctx.meta.leaseUpload(id, now, now + LEASE_MS, this.holder.id, holder);
      if (upload !== undefined) {
        this.ctx.log.info({ upload: id, holder }, "took over an upload session whose writer had exited");
        const checkpoint = holder !== this.holder.id ? upload.checkpoint : undefined;
        if (checkpoint && checkpoint.size > upload.size) return { upload: { ...upload, ...checkpoint }, promoted: true };
        return { upload, promoted: false };
      }
    }
    throw new RegistryError("BLOB_UPLOAD_INVALID", "another request is writing to this upload", undefined, 416, {
      Range: rangeHeader(record.size),
    });
  }

  /**
   * Ends a request's hold: records where it left the session, then gives the lease back. A
   * request that succeeded fails when its progress cannot be recorded (its bytes are not
   * acknowledged then); a failed one keeps its own error. A failed release only leaves the lease
   * to run out (or to be taken back by this service).
   */
  private async finish(id: string, hold: Hold, succeeded: boolean): Promise<void> {
    hold.lease.stop();
    await hold.checkpoints?.settled();
    if (hold.ended) return;
    const progress = hold.progress ?? hold.checkpoints?.last ?? hold.fallback;
    if (progress) {
      try {
        if (!(await this.ctx.meta.recordUploadProgress(id, this.holder.id, progress))) throw leaseLost();
      } catch (err) {
        if (succeeded) {
          await this.release(id);
          throw err;
        }
        this.ctx.log.warn({ err, upload: id }, "could not record where a failed request left its upload");
      }
    }
    await this.release(id);
  }

  /** The checkpoint of a holder that died while writing, when it got further than the session's size. */
  private async deadHoldersCheckpoint(upload: UploadRecord): Promise<UploadProgress | undefined> {
    const holder = upload.lease?.holder;
    const checkpoint = upload.checkpoint;
    if (!holder || holder === this.holder.id || !checkpoint || checkpoint.size <= upload.size) return undefined;
    return (await this.holder.isGone(holder)) ? checkpoint : undefined;
  }

  /** Gives the lease back; when that fails, the request's own outcome stands (the lease runs out, or this process takes it back). */
  private async release(id: string): Promise<void> {
    try {
      await this.ctx.meta.releaseUpload(id, this.holder.id);
    } catch (err) {
      this.ctx.log.warn({ err, upload: id }, "could not release an upload session's lease");
    }
  }
}

/**
 * The body as it arrives: hashed into `hash`, refused (416) as soon as it runs past `range` or
 * when it ends short of it, stopped once `signal` aborts (the lease was lost). With `checkpoints`,
 * each chunk is split at the last 4 KiB boundary of the upload inside it, and the hash there is
 * kept as a checkpoint candidate: a direct-I/O writer makes bytes durable up to such boundaries.
 */
async function* received(
  body: Chunks,
  hash: Hasher | undefined,
  range: ContentRange | undefined,
  signal: AbortSignal,
  start: number,
  checkpoints: Checkpoints | undefined,
): Chunks {
  const limit = range ? range.end - range.start + 1 : Infinity;
  let length = 0;
  for await (const chunk of body) {
    signal.throwIfAborted();
    if (length + chunk.byteLength > limit) throw lengthMismatch(range!, "longer");
    if (!hash) {
      length += chunk.byteLength;
      yield chunk;
      continue;
    }
    const end = start + length + chunk.byteLength;
    const cut = checkpoints ? Math.min(chunk.byteLength, Math.max(end - (end % 4096) - start - length, 0)) : chunk.byteLength;
    for (const piece of cut > 0 && cut < chunk.byteLength ? [chunk.subarray(0, cut), chunk.subarray(cut)] : [chunk]) {
      hash.update(piece);
      length += piece.byteLength;
      checkpoints?.mark(start + length, hash as ResumableHash);
      yield piece;
    }
  }
  if (range && length < limit) throw lengthMismatch(range, "shorter");
}

async function* nothing(): Chunks {}

function progressOf(upload: UploadRecord): UploadProgress {
  return { size: upload.size, hashState: upload.hashState, writerState: upload.writerState };
}

function leaseLost(): RegistryError {
  return new RegistryError("BLOB_UPLOAD_INVALID", "this request lost its hold on the upload (its lease could not be renewed); nothing more was written", undefined, 416);
}

function lengthMismatch(range: ContentRange, how: "longer" | "shorter"): RegistryError {
  // The session goes back to where the chunk started before this is answered.
  return new RegistryError(
    "BLOB_UPLOAD_INVALID",
    `chunk body is ${how} than its Content-Range ${range.start}-${range.end}`,
    { contentRange: `${range.start}-${range.end}` },
    416,
    { Range: rangeHeader(range.start) },
  );
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
 * How long a commit's hold on its digest lasts: far longer than moving any blob takes; only a
 * commit that died keeps a blob from collection for that long.
 */
const HOLD_MS = 15 * 60_000;
/** How long a commit waits for a sweep's claim on its digest to end. */
const HOLD_WAIT_MS = 10_000;

function collecting(digest: string): RegistryError {
  return new RegistryError("UNKNOWN", "garbage collection is removing this blob right now; push it again shortly", { digest }, 503, { "Retry-After": "1" });
}

/** The `Range` header of an upload holding `size` bytes (`0-0` when empty, as clients expect). */
export function rangeHeader(size: number): string {
  return `0-${Math.max(size - 1, 0)}`;
}

// Blob uploads: sessions, chunks, commit. Bytes are hashed once, as they arrive; the running
// hash lives in the process that opened the session. When a chunk lands on another process of
// this machine (a client that opens a connection per request), that process only writes it and
// says how far it got as it goes; the hash's process reads those bytes back and hashes them while
// the chunk still arrives, and answers the digest to whichever process commits. Only when no
// process holds the hash (a restart, another node, another algorithm) is the whole upload re-read
// at commit.
import { randomUUID, type Hash } from "node:crypto";
import { newHash, type ParsedDigest } from "../content/digest.js";
import type { Chunks } from "../storage/blobstore.js";
import { isUploadId } from "../storage/upload-id.js";
import type { RegistryContext } from "./context.js";
import { faultOf, RegistryError, uploadUnknown } from "./errors.js";
import type { PeerMessage } from "./peers.js";
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

interface RunningHash {
  hash: Hash;
  /** bytes hashed so far; valid only while it equals the upload's size */
  offset: number;
  /** the reading back of bytes other processes appended, one stretch after another */
  catchingUp: Promise<void>;
}

/** A request's hold on a session (see exclusive). */
interface Hold {
  /** the session's write lease, kept while the request runs */
  lease: KeptLease;
  /** says the request deleted the session: there is no lease left to release */
  finished(): void;
}

const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;

export class UploadService {
  private readonly hashes = new Map<string, RunningHash>();
  /** one request at a time per session: chunks of one upload must never interleave */
  private readonly busy = new Map<string, Promise<unknown>>();
  /** the name this service's leases carry */
  private readonly holder = new LeaseHolder();

  constructor(private readonly ctx: RegistryContext) {
    ctx.peers?.answer((message) => this.answerPeer(message));
  }

  async start(repository: string): Promise<UploadState> {
    const id = randomUUID();
    const at = this.ctx.now();
    // Only metadata: the upload's bytes appear with its first chunk.
    await this.ctx.meta.createUpload({ id, repository, createdAt: at, updatedAt: at });
    this.hashes.set(id, { hash: newHash("sha256"), offset: 0, catchingUp: Promise.resolve() });
    return { id, size: 0 };
  }

  async status(repository: string, id: string): Promise<UploadState> {
    return { id, size: await this.sizeOf(repository, id) };
  }

  /**
   * Appends a chunk. `range`, when the client sent Content-Range, must start where the upload
   * ends and span exactly the body.
   */
  async append(repository: string, id: string, body: Chunks, range?: ContentRange): Promise<UploadState> {
    return this.exclusive(repository, id, async (size, hold) => {
      if (range) checkRange(range, size);
      return { id, size: await this.write(id, size, body, false, hold.lease, range) };
    });
  }

  /** Appends an optional last chunk, verifies the digest and commits the blob. */
  async complete(repository: string, id: string, digestParam: string | null, body: Chunks | undefined, range?: ContentRange) {
    if (digestParam === null) throw new RegistryError("DIGEST_INVALID", "the digest query parameter is required to complete an upload");
    const expected = toDigest(digestParam);
    return this.exclusive(repository, id, async (received, hold) => {
      let size = received;
      if (range) checkRange(range, size);
      // The last chunk is made durable as it is written, so the commit need not reopen the file.
      if (body) size = await this.write(id, size, body, true, hold.lease, range);
      const actual = await this.digestOf(id, size, expected);
      if (actual !== expected.digest) {
        throw new RegistryError("DIGEST_INVALID", "provided digest did not match uploaded content", {
          expected: expected.digest,
          actual,
        });
      }
      if (hold.lease.lost) throw leaseLost();
      try {
        await this.ctx.blobs.commit(id, actual, { synced: body !== undefined });
      } catch (err) {
        // The upload is still there (a full disk, say): the same PUT can be sent again.
        if (body) await this.takeBack(id, received);
        throw err;
      }
      try {
        await this.ctx.meta.commitUpload(id, { repository, digest: actual, size, at: this.ctx.now() });
      } catch (err) {
        // The bytes are a blob now, linked nowhere (a retried push renames over it; garbage
        // collection reclaims it). Removing it could break another repository holding the same digest.
        await this.abandon(id);
        hold.finished();
        throw err;
      }
      hold.finished();
      this.hashes.delete(id);
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
      await this.abandon(id);
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
    if (size === undefined || (await this.ctx.blobs.stat(digest)) !== size) return undefined;
    await this.ctx.meta.linkBlob(repository, digest, size, this.ctx.now());
    return size;
  }

  /** Where a blob could be mounted from when the client names no source (automatic cross-mount). */
  async mountSources(digestParam: string): Promise<string[]> {
    return this.ctx.meta.repositoriesWithBlob(toDigest(digestParam).digest, 20);
  }

  /** Under the session's lease, so that no chunk still being written recreates its bytes. */
  async cancel(repository: string, id: string): Promise<void> {
    await this.exclusive(repository, id, async (_size, hold) => {
      await this.discard(id);
      hold.finished();
    });
  }

  /** Removes sessions untouched since `before`; returns how many. */
  async purgeStale(before: number): Promise<number> {
    let purged = 0;
    for (;;) {
      const stale = await this.ctx.meta.staleUploads(before, 100);
      for (const upload of stale) await this.discard(upload.id);
      purged += stale.length;
      if (stale.length < 100) return purged;
    }
  }

  /**
   * Takes the lease of a session someone else holds, if that holder is gone (killed mid-request);
   * the bytes it wrote stay, and the next chunk goes on from them. Returns the session's repository.
   */
  private async takeOver(id: string, now: number): Promise<string> {
    const record = await this.ctx.meta.getUpload(id);
    if (!record) throw uploadUnknown(id);
    const holder = record.lease?.holder;
    if (holder && (await this.holder.isGone(holder))) {
      const owner = await this.ctx.meta.leaseUpload(id, now, now + LEASE_MS, this.holder.id, holder);
      if (owner !== undefined) {
        this.ctx.log.info({ upload: id, holder }, "took over an upload session whose writer had exited");
        return owner;
      }
    }
    const size = await this.ctx.blobs.uploadSize(id);
    throw new RegistryError("BLOB_UPLOAD_INVALID", "another request is writing to this upload", undefined, 416, {
      Range: rangeHeader(size),
    });
  }

  /** Frees the session's lease; when that fails, the request's own outcome stands (the lease runs out, or this process takes it back). */
  private async release(id: string): Promise<void> {
    try {
      await this.ctx.meta.releaseUpload(id, this.holder.id);
    } catch (err) {
      this.ctx.log.warn({ err, upload: id }, "could not release an upload session's lease");
    }
  }

  private async discard(id: string): Promise<void> {
    this.hashes.delete(id);
    this.ctx.peers?.tell({ op: "upload-gone", id });
    await this.ctx.blobs.deleteUpload(id);
    await this.ctx.meta.deleteUpload(id);
  }

  /** Discards a session after a failure, which stays the error to answer; the purger ends what this cannot. */
  private async abandon(id: string): Promise<void> {
    try {
      await this.discard(id);
    } catch (err) {
      this.ctx.log.warn({ err, upload: id }, "could not discard an upload session after a failure");
    }
  }

  /** Cuts the upload back to `size` bytes after a refused chunk; no running hash keeps what was cut. */
  private async takeBack(id: string, size: number): Promise<void> {
    this.hashes.delete(id);
    this.ctx.peers?.tell({ op: "upload-gone", id });
    try {
      await this.ctx.blobs.truncateUpload(id, size);
    } catch (err) {
      this.ctx.log.error({ err, upload: id, size }, "could not cut an upload back after a refused chunk");
    }
  }

  /** Size of a live session of `repository`; BLOB_UPLOAD_UNKNOWN otherwise. */
  private async sizeOf(repository: string, id: string): Promise<number> {
    if (!isUploadId(id)) throw uploadUnknown(id);
    const record = await this.ctx.meta.getUpload(id);
    if (!record || record.repository !== repository) throw uploadUnknown(id);
    return this.ctx.blobs.uploadSize(id);
  }

  /**
   * Appends `body` at `size`; `sync` makes it durable (the last chunk before a commit). With
   * `range`, the body must be exactly as long as the range says. A body refused (a wrong length,
   * a full disk) is taken back: the upload keeps its `size` bytes. One the client broke off keeps
   * what arrived, for the client to resume from.
   */
  private async write(id: string, size: number, body: Chunks, sync: boolean, lease: KeptLease, range?: ContentRange): Promise<number> {
    let running = this.hashes.get(id);
    if (running && !(await this.caughtUp(id, running, size))) running = undefined;
    // Without the hash here, the hash's process hears of the chunk as it is written, so that it
    // reads back and hashes while this process still receives.
    const progress = running ? undefined : (grown: number) => this.ctx.peers?.tell({ op: "upload-grew", id, size: grown });
    const source = running || range ? received(body, running, range) : body;
    try {
      const newSize = await this.ctx.blobs.append(id, source, { at: size, sync, progress, signal: lease.signal });
      if (running && running.offset !== newSize) this.hashes.delete(id);
      if (!running && newSize > size) this.ctx.peers?.tell({ op: "upload-grew", id, size: newSize });
      return newSize;
    } catch (err) {
      // What reached the disk is unknown to the hash now; it is rebuilt at commit if needed.
      this.hashes.delete(id);
      // A lost lease leaves the bytes to whoever holds the session now.
      if (!lease.lost && (err instanceof RegistryError || faultOf(err))) await this.takeBack(id, size);
      throw err;
    }
  }

  private async digestOf(id: string, size: number, expected: ParsedDigest): Promise<string> {
    if (expected.algorithm === "sha256") {
      const running = this.hashes.get(id);
      if (running) {
        // copy(): a mismatch leaves the session usable, so keep the running state intact.
        if (await this.caughtUp(id, running, size)) return `sha256:${running.hash.copy().digest("hex")}`;
      } else {
        const answer = await this.ctx.peers?.ask({ op: "upload-digest", id, size });
        if (answer !== undefined && SHA256_DIGEST.test(answer)) return answer;
      }
    }
    this.ctx.log.debug({ upload: id, size }, "no process holds this upload's running hash: re-reading it");
    const hash = newHash(expected.algorithm);
    for await (const chunk of await this.ctx.blobs.readUpload(id)) hash.update(chunk as Uint8Array);
    return `${expected.algorithm}:${hash.digest("hex")}`;
  }

  /** Whether `running` (caught up first) covers exactly the first `size` bytes; drops it if not. */
  private async caughtUp(id: string, running: RunningHash, size: number): Promise<boolean> {
    await this.catchUp(id, running, size);
    if (this.hashes.get(id) !== running) return false;
    if (running.offset === size) return true;
    this.hashes.delete(id);
    return false;
  }

  /**
   * Brings a running hash up to at least `size` bytes by reading back what other processes
   * appended since it last saw the session. Stretches are read one after another, and a chunk
   * this process receives is hashed only after them. The hash is dropped when the bytes cannot
   * be read (the session was committed or went away meanwhile).
   */
  private catchUp(id: string, running: RunningHash, size: number): Promise<void> {
    running.catchingUp = running.catchingUp
      .then(async () => {
        if (this.hashes.get(id) !== running || running.offset >= size) return;
        for await (const chunk of await this.ctx.blobs.readUpload(id, { start: running.offset, end: size - 1 })) {
          running.hash.update(chunk);
          running.offset += chunk.byteLength;
        }
        if (running.offset !== size) throw new Error("upload shorter than announced");
      })
      .catch(() => {
        if (this.hashes.get(id) === running) this.hashes.delete(id);
      });
    return running.catchingUp;
  }

  /** What the other processes of this machine tell or ask about sessions whose hash is here. */
  private async answerPeer(message: PeerMessage): Promise<string | undefined> {
    const running = this.hashes.get(message.id);
    if (!running) return undefined;
    switch (message.op) {
      case "upload-grew":
        // Read the new bytes back now, while the rest of the chunk (or the next) arrives elsewhere.
        await this.catchUp(message.id, running, message.size);
        return undefined;
      case "upload-digest": {
        if (!(await this.caughtUp(message.id, running, message.size))) return undefined;
        // The asker commits the session; should it go on instead, it is re-read at its commit.
        this.hashes.delete(message.id);
        return `sha256:${running.hash.digest("hex")}`;
      }
      case "upload-gone":
        this.hashes.delete(message.id);
        return undefined;
    }
  }

  /**
   * Runs `work` as the session's only writer, with the bytes received so far: requests in this
   * process queue up; a request while another holder's lease runs is refused (416, with the
   * Range), unless that holder is a process of this machine that has exited. `work` calls
   * `hold.finished` once it has deleted the session.
   */
  private async exclusive<T>(repository: string, id: string, work: (size: number, hold: Hold) => Promise<T>): Promise<T> {
    if (!isUploadId(id)) throw uploadUnknown(id);
    const leased = async () => {
      const now = this.ctx.now();
      // One statement takes the lease, marks the session as touched and names its repository.
      let owner = await this.ctx.meta.leaseUpload(id, now, now + LEASE_MS, this.holder.id);
      if (owner === undefined) owner = await this.takeOver(id, now);
      const lease = new KeptLease(now + LEASE_MS, this.ctx.now, (until) => this.ctx.meta.renewUploadLease(id, this.holder.id, until), leaseLost);
      let done = false;
      try {
        if (owner !== repository) throw uploadUnknown(id);
        return await work(await this.ctx.blobs.uploadSize(id), { lease, finished: () => (done = true) });
      } finally {
        lease.stop();
        if (!done) await this.release(id);
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

/**
 * The body as it arrives: hashed into `running` when given, and refused (416) as soon as it runs
 * past `range`, or when it ends short of it.
 */
async function* received(body: Chunks, running: RunningHash | undefined, range: ContentRange | undefined): Chunks {
  const limit = range ? range.end - range.start + 1 : Infinity;
  let length = 0;
  for await (const chunk of body) {
    length += chunk.byteLength;
    if (length > limit) throw lengthMismatch(range!, "longer");
    if (running) {
      running.hash.update(chunk);
      running.offset += chunk.byteLength;
    }
    yield chunk;
  }
  if (range && length < limit) throw lengthMismatch(range, "shorter");
}

function leaseLost(): RegistryError {
  return new RegistryError("BLOB_UPLOAD_INVALID", "this request lost its hold on the upload (its lease could not be renewed); nothing more was written", undefined, 416);
}

function lengthMismatch(range: ContentRange, how: "longer" | "shorter"): RegistryError {
  // The upload is cut back to where the chunk started before this is answered.
  return new RegistryError(
    "BLOB_UPLOAD_INVALID",
    `chunk body is ${how} than its Content-Range ${range.start}-${range.end}`,
    { contentRange: `${range.start}-${range.end}` },
    416,
    { Range: rangeHeader(range.start) },
  );
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

/** The `Range` header of an upload holding `size` bytes (`0-0` when empty, as clients expect). */
export function rangeHeader(size: number): string {
  return `0-${Math.max(size - 1, 0)}`;
}

// Reading and unlinking blobs of a repository. A repository sees only the blobs linked into it,
// even when the bytes are stored once for everyone.
import type { ByteRange, ObjectBody } from "../storage/driver.js";
import type { RegistryContext } from "./context.js";
import type { PullRecorder } from "./pulls.js";
import { blobUnknown, RegistryError, unsupported } from "./errors.js";
import { SmallBlobCache } from "./small-blob-cache.js";
import { blobKey } from "./storage-keys.js";
import { toDigest } from "./validate.js";

/** Blobs up to this size are read whole: configs, small layers, signatures. */
const SMALL_BLOB = 64 * 1024;

export interface OpenBlob {
  digest: string;
  size: number;
  range: ByteRange | undefined;
  body: Buffer | ObjectBody;
}

export class BlobService {
  /** 8 MiB per process: a few thousand configs, for a few MiB of memory. */
  private readonly cache = new SmallBlobCache(8 * 1024 * 1024);

  constructor(
    private readonly ctx: RegistryContext,
    /** counts the bytes sent (egress), in memory, flushed in batches */
    private readonly usage?: PullRecorder,
  ) {}

  private async readSmall(digest: string): Promise<Buffer | undefined> {
    const cached = this.cache.get(digest);
    if (cached) return cached;
    const data = await this.ctx.storage.getSmall(blobKey(digest));
    if (data) this.cache.set(digest, data);
    return data;
  }

  /** Size of a blob visible in `repository`; BLOB_UNKNOWN otherwise. */
  async stat(repository: string, digestParam: string): Promise<{ digest: string; size: number }> {
    const digest = toDigest(digestParam).digest;
    const size = await this.ctx.meta.linkedBlobSize(repository, digest);
    if (size === undefined) throw blobUnknown(digest);
    return { digest, size };
  }

  /**
   * Opens a blob (or a range of it): small blobs come whole in `bytes` (a stream costs more than
   * the read itself), others as a `stream`.
   */
  async open(repository: string, digestParam: string, rangeHeader: string | undefined): Promise<OpenBlob> {
    const { digest, size } = await this.stat(repository, digestParam);
    const range = rangeHeader === undefined ? undefined : parseRange(rangeHeader, size);
    const body = !range && size <= SMALL_BLOB ? await this.readSmall(digest) : await this.ctx.storage.get(blobKey(digest), range);
    // Linked but missing bytes (e.g. deleted by hand): tell the client the truth, not a 500.
    if (!body) throw blobUnknown(digest);
    this.usage?.egress(repository, range ? range.end - range.start + 1 : size, this.ctx.now());
    return { digest, size, range, body };
  }

  /**
   * A blob of `repository` read whole when it is at most `maxBytes` (an image config, for its
   * summary); undefined when it is bigger, not linked here, or its bytes are missing. Not egress.
   */
  async readBounded(repository: string, digestParam: string, maxBytes: number): Promise<Buffer | undefined> {
    const digest = toDigest(digestParam).digest;
    const size = await this.ctx.meta.linkedBlobSize(repository, digest);
    if (size === undefined || size > maxBytes) return undefined;
    if (size <= SMALL_BLOB) return this.readSmall(digest);
    const body = await this.ctx.storage.get(blobKey(digest));
    if (!body) return undefined;
    const chunks: Buffer[] = [];
    let read = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      read += chunk.length;
      // The store said otherwise: stop reading rather than hold more than asked.
      if (read > maxBytes) {
        body.destroy();
        return undefined;
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks, read);
  }

  /** Whether blob GETs may redirect (storage.redirect on a driver with URLs); no await when not. */
  get redirects(): boolean {
    return Boolean(this.ctx.storage.url && this.ctx.redirectExpiry);
  }

  /** A URL the client may fetch the blob from directly (a presigned S3 GET), when redirects are on. */
  async redirect(repository: string, digestParam: string): Promise<{ digest: string; url: string } | undefined> {
    const { storage, redirectExpiry } = this.ctx;
    if (!storage.url || !redirectExpiry) return undefined;
    const { digest, size } = await this.stat(repository, digestParam);
    const url = await storage.url(blobKey(digest), redirectExpiry);
    // The storage sends the bytes on the registry's behalf: they count as this repository's egress.
    if (url) this.usage?.egress(repository, size, this.ctx.now());
    return url ? { digest, url } : undefined;
  }

  async delete(repository: string, digestParam: string): Promise<void> {
    if (!this.ctx.deleteEnabled) throw unsupported("deletes are disabled on this registry");
    const digest = toDigest(digestParam).digest;
    // Bytes stay until garbage collection finds no repository linking them.
    if (!(await this.ctx.meta.unlinkBlob(repository, digest))) throw blobUnknown(digest);
  }
}

/**
 * Parses a single-range `Range: bytes=a-b` header (also `a-` and `-suffix`). Multiple ranges are
 * not supported and answer 416 like an unsatisfiable one.
 */
export function parseRange(header: string, size: number): ByteRange {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  let start: number;
  let end: number;
  if (m && (m[1] !== "" || m[2] !== "")) {
    if (m[1] === "") {
      const suffix = Number(m[2]);
      start = Math.max(size - suffix, 0);
      end = size - 1;
    } else {
      start = Number(m[1]);
      end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
    }
    if (Number.isSafeInteger(start) && Number.isSafeInteger(end) && start <= end && start < size) return { start, end };
  }
  throw new RegistryError("RANGE_INVALID", "requested range not satisfiable", { range: header.slice(0, 100), size }, 416, {
    "Content-Range": `bytes */${size}`,
  });
}

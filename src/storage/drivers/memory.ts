// Blobs in process memory: for tests and throwaway instances only (this driver alone holds
// whole blobs in memory, by definition).
import { Readable } from "node:stream";
import { parseDigest } from "../../content/digest.js";
import type { AppendOptions, BlobStore, ByteRange, Chunks } from "../blobstore.js";
import { assertUploadId } from "../upload-id.js";

export class MemoryBlobStore implements BlobStore {
  private readonly blobs = new Map<string, Buffer>();
  private readonly uploads = new Map<string, Buffer[]>();

  async stat(digest: string): Promise<number | undefined> {
    parseDigest(digest);
    return this.blobs.get(digest)?.byteLength;
  }

  async read(digest: string, range?: ByteRange): Promise<Readable | undefined> {
    parseDigest(digest);
    const data = this.blobs.get(digest);
    if (!data) return undefined;
    return Readable.from([range ? data.subarray(range.start, range.end + 1) : data]);
  }

  async readSmall(digest: string): Promise<Buffer | undefined> {
    parseDigest(digest);
    return this.blobs.get(digest);
  }

  async delete(digest: string): Promise<boolean> {
    parseDigest(digest);
    return this.blobs.delete(digest);
  }

  async *list(): AsyncIterable<string> {
    yield* [...this.blobs.keys()].sort();
  }

  async uploadSize(id: string): Promise<number> {
    return this.upload(id).reduce((n, b) => n + b.byteLength, 0);
  }

  async append(id: string, chunks: Chunks, options: AppendOptions = {}): Promise<number> {
    const parts = this.upload(id);
    this.uploads.set(id, parts);
    for await (const chunk of chunks) {
      if (options.signal?.aborted) throw options.signal.reason;
      parts.push(Buffer.from(chunk));
    }
    return parts.reduce((n, b) => n + b.byteLength, 0);
  }

  async truncateUpload(id: string, size: number): Promise<void> {
    const parts = this.upload(id);
    if (parts.length > 0) this.uploads.set(id, [Buffer.concat(parts).subarray(0, size)]);
  }

  async readUpload(id: string, range?: ByteRange): Promise<Chunks> {
    const whole = Buffer.concat(this.upload(id));
    if (range && range.end >= whole.byteLength) throw new Error(`upload ${id} holds only ${whole.byteLength} bytes`);
    const part = range ? whole.subarray(range.start, range.end + 1) : whole;
    return (async function* () {
      yield part;
    })();
  }

  async commit(id: string, digest: string): Promise<void> {
    parseDigest(digest);
    const parts = this.upload(id);
    this.blobs.set(digest, Buffer.concat(parts));
    this.uploads.delete(id);
  }

  async deleteUpload(id: string): Promise<void> {
    assertUploadId(id);
    this.uploads.delete(id);
  }

  /** The upload's parts; a fresh empty list when nothing was written yet. */
  private upload(id: string): Buffer[] {
    assertUploadId(id);
    return this.uploads.get(id) ?? [];
  }
}

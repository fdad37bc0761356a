// Blobs in process memory: for tests and throwaway instances only (this driver alone holds
// whole blobs in memory, by definition).
import { Readable } from "node:stream";
import { parseDigest } from "../../content/digest.js";
import type { BlobStore, ByteRange, Chunks } from "../blobstore.js";
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

  async createUpload(id: string): Promise<void> {
    assertUploadId(id);
    if (this.uploads.has(id)) throw new Error(`upload ${id} exists`);
    this.uploads.set(id, []);
  }

  async uploadSize(id: string): Promise<number | undefined> {
    assertUploadId(id);
    return this.uploads.get(id)?.reduce((n, b) => n + b.byteLength, 0);
  }

  async append(id: string, chunks: Chunks): Promise<number> {
    const parts = this.requireUpload(id);
    for await (const chunk of chunks) parts.push(Buffer.from(chunk));
    return parts.reduce((n, b) => n + b.byteLength, 0);
  }

  async readUpload(id: string): Promise<Chunks> {
    const parts = this.requireUpload(id).slice();
    return (async function* () {
      yield* parts;
    })();
  }

  async commit(id: string, digest: string): Promise<void> {
    parseDigest(digest);
    const parts = this.requireUpload(id);
    this.blobs.set(digest, Buffer.concat(parts));
    this.uploads.delete(id);
  }

  async deleteUpload(id: string): Promise<void> {
    assertUploadId(id);
    this.uploads.delete(id);
  }

  private requireUpload(id: string): Buffer[] {
    assertUploadId(id);
    const parts = this.uploads.get(id);
    if (!parts) throw Object.assign(new Error(`upload ${id} not found`), { code: "ENOENT" });
    return parts;
  }
}

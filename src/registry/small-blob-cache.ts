// Recently read small blobs (configs, small layers, signatures), kept by digest. Content-addressed,
// so an entry can never be stale; whether a repository may see a blob is still decided by the
// metadata on every request, before the cache is consulted.
export class SmallBlobCache {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  constructor(private readonly capacity: number) {}

  get(digest: string): Buffer | undefined {
    const hit = this.entries.get(digest);
    if (hit) {
      // Most recently used goes last, so eviction takes the oldest first.
      this.entries.delete(digest);
      this.entries.set(digest, hit);
    }
    return hit;
  }

  set(digest: string, data: Buffer): void {
    if (data.byteLength > this.capacity || this.entries.has(digest)) return;
    this.entries.set(digest, data);
    this.bytes += data.byteLength;
    while (this.bytes > this.capacity) {
      const [oldest, buffer] = this.entries.entries().next().value as [string, Buffer];
      this.entries.delete(oldest);
      this.bytes -= buffer.byteLength;
    }
  }
}

// Rows of an embedded database kept in memory for as long as the database reports no change
// (DirectAccess.version): a manifest GET then costs a version check instead of a query.
// Any commit anywhere (another process included) invalidates everything, which is rare next to
// reads: pushes, deletes, and the pull counters flushed about once a second.

export class ReadCache<T> {
  private entries = new Map<string, T>();
  private bytes = 0;
  private version: string | undefined;

  constructor(
    private readonly maxBytes: number,
    private readonly sizeOf: (value: T) => number,
  ) {}

  /** The value cached under `key` if the database is still at `version`. */
  get(key: string, version: string): T | undefined {
    if (version !== this.version) return undefined;
    const value = this.entries.get(key);
    if (value !== undefined) {
      // Least recently used goes first: move this one to the end.
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  /** Keeps `value`, read at `version`; entries of older versions are dropped. */
  set(key: string, version: string, value: T): void {
    if (version !== this.version) {
      this.entries.clear();
      this.bytes = 0;
      this.version = version;
    }
    const size = this.sizeOf(value);
    if (size > this.maxBytes) return;
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.bytes -= this.sizeOf(old);
      this.entries.delete(key);
    }
    while (this.bytes + size > this.maxBytes) {
      const [oldestKey, oldest] = this.entries.entries().next().value!;
      this.entries.delete(oldestKey);
      this.bytes -= this.sizeOf(oldest);
    }
    this.entries.set(key, value);
    this.bytes += size;
  }
}

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

  /**
   * `load()`'s value for `key`, answered from memory while the database is still at `version`
   * (undefined: the database has no version, so always load). The caller reads the version before
   * loading: a change in between can then only leave the value under an older version, which no
   * later lookup matches. Undefined values are not kept.
   */
  async remember(key: string, version: string | undefined, load: () => Promise<T | undefined>): Promise<T | undefined> {
    const hit = version === undefined ? undefined : this.get(key, version);
    if (hit !== undefined) return hit;
    const value = await load();
    if (value !== undefined && version !== undefined) this.set(key, version, value);
    return value;
  }

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

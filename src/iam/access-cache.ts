// Values derived from IAM rows (a user's principal with its groups, a tenancy's parsed policies),
// kept in memory while the IAM version (IamStore.accessVersion) stands still. Every change to who
// may do what moves that version in the shared database, so the next request in every process
// sees the change: nothing here can be stale, however long it has been kept.
import type { IamStore } from "./store.js";

export class AccessCache<V> {
  private readonly entries = new Map<string, V>();
  private version: number | undefined;

  constructor(
    private readonly iam: Pick<IamStore, "accessVersion">,
    private readonly maxEntries = 10_000,
  ) {}

  /**
   * `load()`'s value for `key`, from memory while the IAM version is unchanged. The version is
   * read before loading, so a value loaded across a change is kept under the older version, which
   * no later lookup matches. Undefined values are not kept.
   */
  async get(key: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
    const version = await this.iam.accessVersion();
    if (version !== this.version) {
      this.entries.clear();
      this.version = version;
    }
    const hit = this.entries.get(key);
    if (hit !== undefined) return hit;
    const value = await load();
    if (value !== undefined && this.version === version) {
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      this.entries.set(key, value);
    }
    return value;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Drops every entry whose value matches. */
  deleteWhere(match: (value: V) => boolean): void {
    for (const [key, value] of this.entries) if (match(value)) this.entries.delete(key);
  }
}

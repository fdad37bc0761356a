// Failed-login throttling: after `limit` failures for one key (a login name or an address)
// within `window`, further attempts are refused until the window has passed. In memory, per node.
export class FailureLimiter {
  private readonly failures = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly limit: number,
    private readonly window: number,
    private readonly now: () => number = Date.now,
    /** bound on tracked keys, so a spray of random names cannot exhaust memory */
    private readonly maxKeys = 100_000,
  ) {}

  blocked(key: string): boolean {
    const entry = this.failures.get(key);
    if (!entry) return false;
    if (entry.resetAt <= this.now()) {
      this.failures.delete(key);
      return false;
    }
    return entry.count >= this.limit;
  }

  fail(key: string): void {
    const now = this.now();
    const entry = this.failures.get(key);
    if (entry && entry.resetAt > now) {
      entry.count += 1;
      return;
    }
    if (this.failures.size >= this.maxKeys) this.evictExpired(now);
    if (this.failures.size >= this.maxKeys) this.failures.delete(this.failures.keys().next().value!);
    this.failures.set(key, { count: 1, resetAt: now + this.window });
  }

  succeed(key: string): void {
    this.failures.delete(key);
  }

  private evictExpired(now: number): void {
    for (const [key, entry] of this.failures) if (entry.resetAt <= now) this.failures.delete(key);
  }
}

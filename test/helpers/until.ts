// Waits for a condition that an event outside the test brings about (another process's write,
// a node's restart), polling briefly, with a deadline that names what was awaited.

/** `check()`'s first defined value, asked every 20 ms until `ms` have passed. */
export async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

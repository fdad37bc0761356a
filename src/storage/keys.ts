// The shape of a storage key: `/`-separated segments of letters, digits, `.`, `_` and `-`, none
// empty or starting with a dot. Drivers refuse anything else, so no key can name a path outside
// their root (`..`), a driver's own scratch files (dot-names) or a directory.
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
const MAX_KEY = 1024;

export function isKey(key: string): boolean {
  return key.length > 0 && key.length <= MAX_KEY && key.split("/").every((s) => SEGMENT.test(s));
}

export function assertKey(key: string): void {
  if (!isKey(key)) throw new Error(`invalid storage key "${key.slice(0, 100)}"`);
}

/** A listing prefix: empty, or whole segments followed by the beginning of one (possibly empty). */
export function assertPrefix(prefix: string): void {
  if (prefix === "") return;
  const segments = prefix.split("/");
  const last = segments.pop()!;
  const ok = prefix.length <= MAX_KEY && segments.every((s) => SEGMENT.test(s)) && (last === "" || SEGMENT.test(last));
  if (!ok) throw new Error(`invalid storage key prefix "${prefix.slice(0, 100)}"`);
}

/** Key comparison in byte order (keys are ASCII, so UTF-16 order is byte order). */
export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// Whole-value wildcard matching where only `*` is special. No RegExp: the pattern comes from a
// policy author, and a greedy left-to-right scan of the literal pieces is both exact for
// `*`-only globs and linear in practice (no backtracking, so no ReDoS).

export function matchWildcard(pattern: string, value: string, ignoreCase = false): boolean {
  if (ignoreCase) {
    pattern = pattern.toLowerCase();
    value = value.toLowerCase();
  }
  const pieces = pattern.split("*");
  const first = pieces[0] ?? "";
  if (pieces.length === 1) return value === first;
  const last = pieces[pieces.length - 1] ?? "";
  if (value.length < first.length + last.length) return false;
  if (!value.startsWith(first) || !value.endsWith(last)) return false;
  // The middle pieces must appear in order between the fixed prefix and suffix; taking the
  // leftmost occurrence of each never rules out a match that a later occurrence would allow.
  let at = first.length;
  const end = value.length - last.length;
  for (let i = 1; i < pieces.length - 1; i++) {
    const piece = pieces[i] ?? "";
    const found = value.indexOf(piece, at);
    if (found < 0 || found + piece.length > end) return false;
    at = found + piece.length;
  }
  return true;
}

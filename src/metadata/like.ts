/** `text` inside a LIKE pattern with `escape '!'`: its `%`, `_` and `!` match only themselves. */
export function escapeLike(text: string): string {
  return text.replace(/[!%_]/g, (c) => `!${c}`);
}

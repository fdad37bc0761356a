// Cursor pagination for every list: `?limit=` (1..1000, default 100) and an opaque `?cursor=`
// that the previous page's `next` gave. A cursor is the last key seen, so pages never repeat
// or skip an item when others are added or removed meanwhile.
import { ApiError } from "./envelope.js";
import type { PageRequest, Paged } from "./route.js";

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

export function pageRequest(query: URLSearchParams): PageRequest {
  const raw = query.get("limit");
  let limit = DEFAULT_LIMIT;
  if (raw !== null) {
    limit = /^[0-9]{1,7}$/.test(raw) ? Number(raw) : NaN;
    if (!(limit >= 1 && limit <= MAX_LIMIT)) throw new ApiError("INVALID", 400, `limit must be an integer from 1 to ${MAX_LIMIT}`, { limit: raw.slice(0, 20) });
  }
  const cursor = query.get("cursor");
  return cursor === null ? { limit } : { limit, cursor };
}

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value), "utf8").toString("base64url");
}

/** The value a cursor carries, or 400 INVALID when it is not one of ours. */
export function decodeCursor<T>(cursor: string, valid: (value: unknown) => value is T): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    value = undefined;
  }
  if (!valid(value)) throw new ApiError("INVALID", 400, "cursor is not valid here; use the `next` of the previous page", { cursor: cursor.slice(0, 100) });
  return value;
}

const isString = (v: unknown): v is string => typeof v === "string";

/** One page of a list held in memory, ordered by `key` (byte order; keys unique). */
export function paginate<T>(items: readonly T[], page: PageRequest, key: (item: T) => string): Paged<T> {
  const keyed = items.map((item) => ({ key: key(item), item })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor, isString);
  const start = after === undefined ? 0 : keyed.findIndex((k) => k.key > after);
  const rest = start < 0 ? [] : keyed.slice(start);
  const slice = rest.slice(0, page.limit);
  return rest.length > page.limit ? { items: slice.map((k) => k.item), next: encodeCursor(slice[slice.length - 1]!.key) } : { items: slice.map((k) => k.item) };
}

/** A page read from a store that was asked for `limit + 1` items after the cursor's key. */
export function pageOfOneMore<T>(items: T[], limit: number, key: (item: T) => string): Paged<T> {
  if (items.length <= limit) return { items };
  const slice = items.slice(0, limit);
  return { items: slice, next: encodeCursor(key(slice[slice.length - 1]!)) };
}

/** The key a store-read list continues after. */
export function cursorKey(page: PageRequest): string | undefined {
  return page.cursor === undefined ? undefined : decodeCursor(page.cursor, isString);
}

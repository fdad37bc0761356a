// Every page of a list, for the small lists a picker or a join needs whole (a tenancy's groups,
// a group's members): they are bounded by what one tenancy holds, not by traffic.
import { api } from "../../api/client";

export async function loadAll<T>(path: string): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.list<T>(path, { limit: 1000, cursor });
    all.push(...page.items);
    cursor = page.next;
  } while (cursor !== undefined);
  return all;
}

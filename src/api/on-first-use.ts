// The admin API is loaded by a serving process on its first /api request: its schemas need zod,
// which costs each process about 4 MiB that a process serving only /v2 never pays.
import type { ExtraHandler } from "../server/http.js";

export function loadedOnFirstUse(load: () => Promise<ExtraHandler>): ExtraHandler {
  let loading: Promise<ExtraHandler> | undefined;
  return async (req, res, path, query, facts) => {
    if (path !== "/api" && !path.startsWith("/api/")) return false;
    // A failed load is tried again by the next request rather than remembered.
    loading ??= load().catch((err: unknown) => {
      loading = undefined;
      throw err;
    });
    return (await loading)(req, res, path, query, facts);
  };
}

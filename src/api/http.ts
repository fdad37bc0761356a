// The admin API over HTTP: reads the request (a bounded JSON body), hands it to AdminApi.execute
// and writes the answer. Everything else (routing, decisions, the envelope) is AdminApi's.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestFacts } from "../server/access-log.js";
import { closeAfterAnswer } from "../server/early-close.js";
import { readBounded } from "../server/read-body.js";
import { API_PREFIX, type AdminApi } from "./admin-api.js";
import type { ApiAuthentication } from "./authenticate.js";
import { hasBody } from "../distribution/context.js";
import { ApiError } from "./envelope.js";

const MAX_BODY = 256 * 1024;

/** Serves `/api/*`; false when the path is not under /api/ (an ExtraHandler of server/http.ts). */
export function apiHandler(api: AdminApi, authentication: ApiAuthentication) {
  return async (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams, facts?: RequestFacts): Promise<boolean> => {
    if (path !== "/api" && !path.startsWith("/api/")) return false;
    const below = path.startsWith(`${API_PREFIX}/`) ? path.slice(API_PREFIX.length) : `/../${path.slice(1)}`;
    const answer = await api.execute({
      method: req.method ?? "GET",
      path: below,
      query,
      headers: req.headers,
      address: req.socket.remoteAddress,
      principal: async () => {
        const principal = await authentication.authenticate(req);
        if (facts) facts.user = principal.name;
        return principal;
      },
      body: () => readJson(req),
    });
    const body = answer.body === undefined ? undefined : JSON.stringify(answer.body);
    const headers: Record<string, string | string[] | number> = { ...answer.headers, "Cache-Control": "no-store", "Content-Length": body === undefined ? 0 : Buffer.byteLength(body) };
    // A browser asks for Basic credentials in a modal prompt, and holds a script's request until
    // it is answered: the console's (fetch) calls get their 401 without the challenge.
    if (answer.status === 401 && fromScript(req)) delete headers["WWW-Authenticate"];
    if (body !== undefined) headers["Content-Type"] = "application/json; charset=utf-8";
    // A body refused or left unread must not be parsed as the next request.
    if (!req.complete && hasBody(req)) closeAfterAnswer(req, res);
    res.writeHead(answer.status, headers);
    res.end(req.method === "HEAD" ? undefined : body);
    return true;
  };
}

/**
 * A page's own fetch or XHR (never a navigation): browsers send Sec-Fetch-Site and a page cannot
 * forge it. Node's fetch sends Sec-Fetch-Mode alone, and keeps its challenge.
 */
function fromScript(req: IncomingMessage): boolean {
  const mode = req.headers["sec-fetch-mode"];
  return req.headers["sec-fetch-site"] === "same-origin" && mode !== undefined && mode !== "navigate";
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const bytes = await readBounded(req, MAX_BODY);
  if (bytes.byteLength === 0) return undefined;
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch {
    throw new ApiError("INVALID", 400, "request body is not valid JSON");
  }
}

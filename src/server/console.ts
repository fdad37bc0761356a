// Serves the web console (the single-page app `npm run build` writes to dist/web) at /console/:
// static files with strict security headers, index.html for the app's own routes.
import { open, stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import type { ExtraHandler } from "./http.js";

export const CONSOLE_PREFIX = "/console";

/** dist/web of the installed package (this file is dist/src/server/console.js), whatever the cwd. */
export const BUILT_CONSOLE = fileURLToPath(new URL("../../web/", import.meta.url));

/** The app loads only its own files and talks only to its own origin; nothing may frame it. */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": CONSOLE_CSP,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
};

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".ico": "image/x-icon",
  ".webp": "image/webp",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".txt": "text/plain; charset=utf-8",
  ".webmanifest": "application/manifest+json",
};

/** Vite names them by content hash: a changed file is a new URL. */
const IMMUTABLE = "public, max-age=31536000, immutable";
/** index.html names the current assets: always revalidated. */
const REVALIDATE = "no-cache";

export interface ConsoleOptions {
  /** the built console (default: the package's dist/web) */
  root?: string;
  /** without auth there is no admin API, so nothing to sign in to */
  authEnabled: boolean;
}

export function consoleHandler(options: ConsoleOptions): ExtraHandler {
  const root = (options.root ?? BUILT_CONSOLE).replace(/[\\/]+$/, "") + sep;
  return async (req, res, path, query) => {
    if (path !== CONSOLE_PREFIX && !path.startsWith(`${CONSOLE_PREFIX}/`)) return false;
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    const method = req.method ?? "GET";
    if (method !== "GET" && method !== "HEAD") {
      answerText(req, res, 405, `${method} is not allowed on the console; it serves GET and HEAD`, { Allow: "GET, HEAD" });
      return true;
    }
    if (path === CONSOLE_PREFIX) {
      const search = query.toString();
      res.writeHead(301, { Location: `${CONSOLE_PREFIX}/${search ? `?${search}` : ""}`, "Content-Length": 0 });
      res.end();
      return true;
    }
    if (!options.authEnabled) {
      answerText(req, res, 404, "the console needs auth (auth.enabled: true): it signs in through the admin API");
      return true;
    }
    const file = fileOf(path.slice(CONSOLE_PREFIX.length + 1));
    if (file === undefined) {
      answerText(req, res, 404, "no such file in the console");
      return true;
    }
    await serveFile(req, res, root, file);
    return true;
  };
}

/**
 * The file a path below /console/ names, relative to the console's root, or undefined when it
 * could name something outside it: `..` and `.` segments, backslashes and NUL are refused after
 * decoding, so no spelling (`%2e%2e`, `%5c`, `%00`) escapes. Files are what Vite writes: under
 * assets/, or at the top with an extension; every other path is one of the app's own routes
 * (index.html), dots included (a repository may be named `acme/web.v2`).
 */
export function fileOf(encoded: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return undefined;
  const segments = decoded.split("/");
  if (segments.some((s) => s === "." || s === "..")) return undefined;
  const isFile = segments[0] === "assets" || (segments.length === 1 && segments[0]!.includes("."));
  if (!isFile) return "index.html";
  if (segments.some((s) => s === "")) return undefined;
  return segments.join("/");
}

async function serveFile(req: IncomingMessage, res: ServerResponse, root: string, file: string): Promise<void> {
  const full = join(root, file);
  // fileOf already refused every escape; this is the belt to its braces.
  if (!full.startsWith(root)) {
    answerText(req, res, 404, "no such file in the console");
    return;
  }
  let info;
  try {
    info = await stat(full);
  } catch (err) {
    if (!isMissing(err)) throw err;
    if (file === "index.html") answerText(req, res, 404, "the console is not built; run `npm run build` (it writes dist/web)");
    else answerText(req, res, 404, "no such file in the console");
    return;
  }
  if (!info.isFile()) {
    answerText(req, res, 404, "no such file in the console");
    return;
  }
  const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  const headers: Record<string, string | number> = {
    "Content-Type": CONTENT_TYPES[extname(file).toLowerCase()] ?? "application/octet-stream",
    "Cache-Control": file.startsWith("assets/") ? IMMUTABLE : REVALIDATE,
    ETag: etag,
    "Last-Modified": info.mtime.toUTCString(),
  };
  if (notModified(req, etag, info.mtime)) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  headers["Content-Length"] = info.size;
  if (req.method === "HEAD") {
    res.writeHead(200, headers);
    res.end();
    return;
  }
  const handle = await open(full, "r").catch((err: unknown) => {
    if (isMissing(err)) return undefined;
    throw err;
  });
  if (!handle) {
    // Replaced by a build between the stat and the open.
    answerText(req, res, 404, "no such file in the console");
    return;
  }
  res.writeHead(200, headers);
  await pipeline(handle.createReadStream(), res);
}

function notModified(req: IncomingMessage, etag: string, modified: Date): boolean {
  const match = req.headers["if-none-match"];
  if (match !== undefined) return match.split(",").some((tag) => tag.trim() === etag || tag.trim() === "*");
  const since = req.headers["if-modified-since"];
  if (since === undefined) return false;
  const time = Date.parse(since);
  return !Number.isNaN(time) && Math.floor(modified.getTime() / 1000) <= Math.floor(time / 1000);
}

function answerText(req: IncomingMessage, res: ServerResponse, status: number, message: string, extra: Record<string, string> = {}): void {
  const body = `${message}\n`;
  res.writeHead(status, { ...extra, "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(body), "Cache-Control": "no-store" });
  res.end(req.method === "HEAD" ? undefined : body);
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR";
}

// Finds the route of a path under /api/v1: literal segments match as they are, each `{param}`
// takes one segment, percent-decoded (so `acme%2Fweb` is the repository `acme/web`).
import { ApiError } from "./envelope.js";
import type { Route } from "./route.js";

interface Compiled {
  route: Route;
  segments: { literal?: string; param?: string }[];
}

export interface Match {
  route: Route;
  params: Record<string, string>;
}

export class Router {
  private readonly compiled: Compiled[];

  constructor(routes: readonly Route[]) {
    this.compiled = routes.map((route) => ({
      route,
      segments: route.path
        .split("/")
        .slice(1)
        .map((s) => (s.startsWith("{") && s.endsWith("}") ? { param: s.slice(1, -1) } : { literal: s })),
    }));
  }

  /** The route for `method` on `path` (raw, below /api/v1); 404 or 405 with `Allow` when none. */
  match(method: string, path: string): Match {
    const parts = path.split("/").slice(1);
    const allowed: string[] = [];
    for (const c of this.compiled) {
      const params = matchSegments(c, parts);
      if (!params) continue;
      if (c.route.method === method) return { route: c.route, params: decodeAll(params) };
      allowed.push(c.route.method);
    }
    if (allowed.length > 0) {
      throw new ApiError("UNSUPPORTED", 405, `method ${method.slice(0, 20)} is not allowed on ${path.slice(0, 200)}`, { allowed }, { Allow: allowed.join(", ") });
    }
    throw new ApiError("NOT_FOUND", 404, ...this.notFound(parts));
  }

  /** A raw slash in a repository name is the usual mistake: say how to send the name. */
  private notFound(parts: string[]): [string, unknown] {
    const generic: [string, unknown] = ["no such API endpoint; GET /api/v1/openapi.json lists them", { path: `/${parts.join("/")}`.slice(0, 200) }];
    if (parts[0] !== "repositories" || parts.length < 3) return generic;
    for (const c of this.compiled) {
      if (c.segments[0]?.literal !== "repositories" || c.segments[1]?.param !== "name") continue;
      const suffix = c.segments.slice(2);
      const nameParts = parts.length - 1 - suffix.length;
      if (nameParts < 2) continue;
      const tail = parts.slice(1 + nameParts);
      if (!suffix.every((s, i) => s.param !== undefined || s.literal === tail[i])) continue;
      const name = parts.slice(1, 1 + nameParts).join("/");
      const fixed = ["", "api", "v1", "repositories", encodeURIComponent(name), ...tail].join("/");
      return [`repository names travel as one percent-encoded path segment: ${fixed}`, { name: name.slice(0, 255), path: fixed.slice(0, 400) }];
    }
    return generic;
  }
}

function matchSegments(c: Compiled, parts: string[]): Record<string, string> | undefined {
  if (parts.length !== c.segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const s = c.segments[i]!;
    const part = parts[i]!;
    if (s.param !== undefined) {
      if (part === "") return undefined;
      params[s.param] = part;
    } else if (s.literal !== part) return undefined;
  }
  return params;
}

function decodeAll(params: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, raw] of Object.entries(params)) {
    try {
      out[key] = decodeURIComponent(raw);
    } catch {
      throw new ApiError("INVALID", 400, `malformed percent-encoding in the path parameter ${key}`, { [key]: raw.slice(0, 200) });
    }
  }
  return out;
}

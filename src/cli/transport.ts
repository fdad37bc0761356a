// How a command's request reaches the admin API. One request shape for both ways: over HTTP as
// the profile's user, or in-process as the local operator (offline.ts). Commands never know which.
import { readFileSync } from "node:fs";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { CliError, EXIT, networkError } from "./exit-codes.js";
import type { Profile } from "./profiles.js";

/** A call to the admin API; `path` is below /api/v1 (e.g. `/tenancies/acme/users`). */
export interface ApiCall {
  method: string;
  path: string;
  query?: Record<string, string>;
  body?: unknown;
}

/** The API's answer: its status and parsed JSON envelope (undefined for 204). */
export interface ApiAnswer {
  status: number;
  body: unknown;
  /** Retry-After of a 429/503, when the API sent one */
  retryAfter?: string;
}

export interface Transport {
  send(call: ApiCall): Promise<ApiAnswer>;
  close(): Promise<void>;
}

export const API_PREFIX = "/api/v1";
const TIMEOUT_MS = 60_000;

/** Talks to a remote Berth as the profile's user: HTTP Basic with `<namespace>/<user>` and its auth token. */
export class HttpTransport implements Transport {
  private readonly base: URL;
  private readonly authorization: string;
  private readonly ca?: Buffer;

  constructor(private readonly profile: Profile) {
    this.base = parseRegistryUrl(profile.url);
    this.authorization = `Basic ${Buffer.from(`${profile.login}:${profile.token}`).toString("base64")}`;
    if (profile.ca) {
      try {
        this.ca = readFileSync(profile.ca);
      } catch (err) {
        throw new CliError(`cannot read the CA file ${profile.ca}: ${(err as Error).message}`, EXIT.invalid);
      }
    }
  }

  send(call: ApiCall): Promise<ApiAnswer> {
    const url = new URL(`${this.base.pathname.replace(/\/$/, "")}${API_PREFIX}${call.path}`, this.base);
    for (const [k, v] of Object.entries(call.query ?? {})) url.searchParams.set(k, v);
    const payload = call.body === undefined ? undefined : Buffer.from(JSON.stringify(call.body));
    const headers: Record<string, string> = { Authorization: this.authorization, Accept: "application/json" };
    if (payload) {
      headers["Content-Type"] = "application/json";
      headers["Content-Length"] = String(payload.byteLength);
    }
    const secure = url.protocol === "https:";
    const options = { method: call.method, headers, timeout: TIMEOUT_MS, ...(secure ? { rejectUnauthorized: !this.profile.insecure, ca: this.ca } : {}) };
    return new Promise((resolve, reject) => {
      const onResponse = (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", (err) => reject(networkError(this.base.origin, err)));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: unknown;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            // a proxy's HTML page, say: not the admin API
            body = undefined;
          }
          const retryAfter = res.headers["retry-after"];
          resolve({ status: res.statusCode ?? 0, body, ...(typeof retryAfter === "string" ? { retryAfter } : {}) });
        });
      };
      const req = secure ? httpsRequest(url, options, onResponse) : httpRequest(url, options, onResponse);
      req.on("timeout", () => req.destroy(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })));
      req.on("error", (err) => reject(networkError(this.base.origin, err)));
      req.end(payload);
    });
  }

  async close(): Promise<void> {}
}

/** A registry URL as given to `berth login`: http(s)://host[:port][/prefix]; https when no scheme. */
export function parseRegistryUrl(text: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new CliError(`not a URL: ${text}`, EXIT.invalid);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new CliError(`not an http(s) URL: ${text}`, EXIT.invalid);
  if (url.search || url.hash || url.username) throw new CliError(`give the registry's base URL only (no query, fragment or user): ${text}`, EXIT.invalid);
  return url;
}

// A console client for the session tests: one request per connection (so any serving process may
// answer), the session cookie kept like a browser keeps it, and the CSRF token sent on writes.
// Every admin API answer must be what the registry's OpenAPI document describes.
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { checkAgainstDocument } from "../helpers/openapi-check.js";
import { basic, type Call } from "../iam/support.js";

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  json?: unknown;
  /** the client's own address (any of 127.0.0.0/8 reaches a loopback server) */
  localAddress?: string;
  /** the CA that signed an HTTPS server's certificate */
  ca?: Buffer;
}

export interface Reply extends Call {
  /** every Set-Cookie header of the answer */
  cookies: string[];
}

export async function send(url: string, options: SendOptions = {}): Promise<Reply> {
  const reply = await exchange(url, options);
  const { origin, pathname, search } = new URL(url);
  if (pathname.startsWith("/api/")) {
    if (!documents.has(origin)) documents.set(origin, exchange(`${origin}/api/v1/openapi.json`, { ca: options.ca }).then((r) => r.body));
    const errors = checkAgainstDocument(await documents.get(origin)!, { method: options.method ?? "GET", path: pathname + search, status: reply.status, body: reply.body });
    assert.deepEqual(errors, [], "the answer is not what the OpenAPI document describes");
  }
  return reply;
}

/** The OpenAPI document of each registry these tests talk to, fetched once. */
const documents = new Map<string, Promise<Record<string, any>>>();

function exchange(url: string, options: SendOptions): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    const body = options.json === undefined ? undefined : JSON.stringify(options.json);
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      headers["Content-Length"] = String(Buffer.byteLength(body));
    }
    const request = url.startsWith("https:") ? httpsRequest : httpRequest;
    const req = request(url, { method: options.method ?? "GET", headers, agent: false, localAddress: options.localAddress, ca: options.ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON: keep the text
        }
        const out = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (typeof value === "string") out.set(name, value);
        const cookies = res.headers["set-cookie"] ?? [];
        resolve({ status: res.statusCode ?? 0, headers: out, body: parsed, cookies });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** A browser-like console client of one registry: it signs in, then keeps the cookie and the CSRF token. */
export class ConsoleClient {
  cookie: string | undefined;
  csrfToken: string | undefined;

  constructor(
    private readonly base: string,
    private readonly options: Pick<SendOptions, "ca" | "localAddress"> = {},
  ) {}

  async signIn(login: string, secret: string, headers: Record<string, string> = {}): Promise<Reply> {
    const reply = await this.send("POST", "/session", { login, secret }, { headers, csrf: false });
    if (reply.status === 201) {
      this.cookie = reply.cookies[0]!.split(";")[0];
      this.csrfToken = reply.body.data.csrfToken;
    }
    return reply;
  }

  /** A request with the cookie; on writes the CSRF token too unless `csrf` is false. */
  send(method: string, path: string, json?: unknown, extra: { headers?: Record<string, string>; csrf?: boolean; base?: string } = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...extra.headers };
    if (this.cookie) headers.Cookie = this.cookie;
    if (method !== "GET" && extra.csrf !== false && this.csrfToken) headers["X-CSRF-Token"] = this.csrfToken;
    return send(`${extra.base ?? this.base}/api/v1${path}`, { ...this.options, method, headers, json });
  }
}

/** The admin API as `login` with HTTP Basic, one connection per request. */
export function basicApi(base: string, login: string, secret: string, options: Pick<SendOptions, "ca" | "localAddress"> = {}) {
  const go = (method: string, path: string, json?: unknown) => send(`${base}/api/v1${path}`, { ...options, method, json, headers: { Authorization: basic(login, secret) } });
  return {
    get: (path: string) => go("GET", path),
    post: (path: string, json: unknown) => go("POST", path, json),
    put: (path: string, json: unknown) => go("PUT", path, json),
    delete: (path: string) => go("DELETE", path),
  };
}

// Helpers for IAM tests: a Berth with auth on, Basic credentials, the admin API and the
// token endpoint, over plain fetch.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { checkAgainstDocument } from "../helpers/openapi-check.js";
import { startRegistry, type RunningRegistry } from "../helpers/registry.js";

export const OPERATOR = "berth/admin";

export interface AuthRegistry extends RunningRegistry {
  operatorToken: string;
}

/** `root`: a data directory to use (kept on close). */
export async function startAuthRegistry(env: Record<string, string> = {}, root?: string): Promise<AuthRegistry> {
  const operatorToken = randomBytes(18).toString("base64url");
  const registry = await startRegistry({ env: { BERTH_AUTH_ENABLED: "true", BERTH_AUTH_OPERATOR_TOKEN: operatorToken, ...env }, root });
  return Object.assign(registry, { operatorToken });
}

export function basic(login: string, secret: string): string {
  return `Basic ${Buffer.from(`${login}:${secret}`).toString("base64")}`;
}

export interface Call {
  status: number;
  headers: Headers;
  body: any;
}

export async function call(url: string, init: RequestInit & { json?: unknown } = {}): Promise<Call> {
  const headers = new Headers(init.headers);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set("Content-Type", "application/json");
    body = JSON.stringify(init.json);
  }
  const res = await fetch(url, { ...init, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  await described(url, init.method ?? "GET", res.status, parsed);
  return { status: res.status, headers: res.headers, body: parsed };
}

/** The OpenAPI document of each registry these tests talk to, fetched once. */
const documents = new Map<string, Promise<Record<string, any>>>();

/**
 * Every admin API answer a test sees must be described by the registry's OpenAPI document: its
 * path, method and status, and its body by the schema there. A test that meets one that is not fails.
 */
async function described(url: string, method: string, status: number, body: unknown): Promise<void> {
  const { origin, pathname, search } = new URL(url);
  if (!pathname.startsWith("/api/")) return;
  if (!documents.has(origin)) {
    documents.set(
      origin,
      fetch(`${origin}/api/v1/openapi.json`).then((r) => r.json() as Promise<Record<string, any>>),
    );
  }
  const errors = checkAgainstDocument(await documents.get(origin)!, { method: method.toUpperCase(), path: pathname + search, status, body });
  assert.deepEqual(errors, [], "the answer is not what the OpenAPI document describes");
}

/** An admin API client acting as `login`. */
export function api(registry: RunningRegistry, login: string, secret: string) {
  const auth = basic(login, secret);
  const go = (method: string, path: string, json?: unknown) =>
    call(`${registry.url}/api/v1${path}`, { method, headers: { Authorization: auth }, json });
  return {
    get: (path: string) => go("GET", path),
    post: (path: string, json: unknown) => go("POST", path, json),
    patch: (path: string, json: unknown) => go("PATCH", path, json),
    delete: (path: string) => go("DELETE", path),
  };
}

/** Asks the token endpoint for scopes as `login` (or anonymously) and returns the granted access. */
export async function token(registry: RunningRegistry, scopes: string[], login?: string, secret?: string) {
  const query = new URLSearchParams({ service: "berth" });
  for (const s of scopes) query.append("scope", s);
  const res = await call(`${registry.url}/auth/token?${query}`, { headers: login ? { Authorization: basic(login, secret!) } : {} });
  if (res.status !== 200) return { status: res.status, token: undefined, access: [] as { name: string; actions: string[] }[] };
  const payload = JSON.parse(Buffer.from(res.body.token.split(".")[1], "base64url").toString());
  return { status: 200, token: res.body.token as string, access: payload.access as { type: string; name: string; actions: string[] }[] };
}

/** Pushes a one-layer image with `authorization` as the caller; returns the final status. */
export async function pushImage(registry: RunningRegistry, repo: string, tag: string, authorization?: string): Promise<number> {
  const headers: Record<string, string> = authorization ? { Authorization: authorization } : {};
  const layer = randomBytes(64);
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } }));
  for (const blob of [layer, config]) {
    const res = await fetch(`${registry.url}/v2/${repo}/blobs/uploads/?digest=${digest(blob)}`, { method: "POST", headers, body: blob });
    await res.arrayBuffer();
    if (res.status !== 201) return res.status;
  }
  const manifest = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: digest(config), size: config.length },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: digest(layer), size: layer.length }],
  };
  const res = await fetch(`${registry.url}/v2/${repo}/manifests/${tag}`, {
    method: "PUT",
    headers: { ...headers, "Content-Type": manifest.mediaType },
    body: JSON.stringify(manifest),
  });
  await res.arrayBuffer();
  return res.status;
}

export function digest(data: Buffer): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

export function expectStatus(res: Call, status: number, what: string): void {
  assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body)}`);
}

export interface RawCallOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** the client's own address (any of 127.0.0.0/8 reaches a loopback server) */
  localAddress?: string;
}

/**
 * One request on a connection of its own (no keep-alive), so that successive calls are spread
 * over the server's processes and may come from a chosen local address.
 */
export function rawCall(url: string, options: RawCallOptions = {}): Promise<Call> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) headers["Content-Length"] = String(Buffer.byteLength(options.body));
    const req = httpRequest(url, { method: options.method ?? "GET", headers, agent: false, localAddress: options.localAddress }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON: keep the text
        }
        const out = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (typeof value === "string") out.set(name, value);
        const answer = { status: res.statusCode ?? 0, headers: out, body };
        described(url, options.method ?? "GET", answer.status, body).then(() => resolve(answer), reject);
      });
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

// Helpers for the usage tests: a registry with auth and a tenancy `acme` whose administrator
// pushes and pulls over /v2 with Basic credentials.
import { createHash, randomBytes } from "node:crypto";
import { request } from "node:http";
import { startRegistry } from "../helpers/registry.js";
import { api, basic, expectStatus, OPERATOR, type AuthRegistry } from "../iam/support.js";

export interface Tenant {
  registry: AuthRegistry;
  /** the operator's admin API client */
  operator: ReturnType<typeof api>;
  /** acme's administrator's admin API client */
  admin: ReturnType<typeof api>;
  /** the Authorization header of acme's administrator */
  auth: string;
}

export async function startTenant(env: Record<string, string> = {}, args: string[] = []): Promise<Tenant> {
  const operatorToken = randomBytes(18).toString("base64url");
  const started = await startRegistry({ args, env: { BERTH_AUTH_ENABLED: "true", BERTH_AUTH_OPERATOR_TOKEN: operatorToken, ...env } });
  const registry: AuthRegistry = Object.assign(started, { operatorToken });
  const operator = api(registry, OPERATOR, registry.operatorToken);
  const created = await operator.post("/tenancies", { namespace: "acme", adminUser: "boss" });
  expectStatus(created, 201, "acme");
  const token = created.body.data.token as string;
  return { registry, operator, admin: api(registry, "acme/boss", token), auth: basic("acme/boss", token) };
}

export const digestOf = (data: Buffer) => `sha256:${createHash("sha256").update(data).digest("hex")}`;
export const bytes = (n: number) => randomBytes(n);

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

export async function v2(t: Tenant, method: string, path: string, body?: Buffer | string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${t.registry.url}/v2/${path}`, { method, body: body as BodyInit | undefined, headers: { Authorization: t.auth, ...headers } });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** A blob in one POST (`?digest=`). */
export function pushWhole(t: Tenant, repo: string, blob: Buffer): Promise<Answer> {
  return v2(t, "POST", `${repo}/blobs/uploads/?digest=${digestOf(blob)}`, blob, { "Content-Type": "application/octet-stream" });
}

/** A blob as a session: one PATCH with the bytes, then the PUT that commits. */
export async function pushChunked(t: Tenant, repo: string, blob: Buffer): Promise<Answer> {
  const started = await v2(t, "POST", `${repo}/blobs/uploads/`);
  if (started.status !== 202) return started;
  const location = started.headers.get("location")!;
  const patched = await fetch(new URL(location, t.registry.url), {
    method: "PATCH",
    body: blob as unknown as BodyInit,
    headers: { Authorization: t.auth, "Content-Type": "application/octet-stream", "Content-Range": `0-${blob.length - 1}` },
  });
  const refusal = await patched.text();
  if (patched.status !== 202) return { status: patched.status, headers: patched.headers, text: refusal };
  const url = new URL(patched.headers.get("location")!, t.registry.url);
  url.searchParams.set("digest", digestOf(blob));
  const res = await fetch(url, { method: "PUT", headers: { Authorization: t.auth } });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

export const CONFIG_TYPE = "application/vnd.oci.image.config.v1+json";
export const MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";

/** An image manifest over `config` and `layers` (already pushed), as the bytes a client PUTs. */
export function manifestOf(config: Buffer, layers: Buffer[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST_TYPE,
      config: { mediaType: CONFIG_TYPE, digest: digestOf(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: digestOf(l), size: l.length })),
    }),
  );
}

/** Pushes blobs (unless a HEAD finds them) and the manifest; returns the manifest PUT's answer. */
export async function pushImage(t: Tenant, repo: string, tag: string, config: Buffer, layers: Buffer[]): Promise<{ put: Answer; manifest: Buffer }> {
  for (const blob of [config, ...layers]) {
    if ((await v2(t, "HEAD", `${repo}/blobs/${digestOf(blob)}`)).status === 200) continue;
    const pushed = await pushWhole(t, repo, blob);
    if (pushed.status !== 201) return { put: pushed, manifest: Buffer.alloc(0) };
  }
  const manifest = manifestOf(config, layers);
  return { put: await v2(t, "PUT", `${repo}/manifests/${tag}`, manifest, { "Content-Type": MANIFEST_TYPE }), manifest };
}

/**
 * Sends only the headers of a request whose body is `length` bytes, and resolves with the answer
 * the registry gives before any byte of the body: proof that it decided before the bytes.
 */
export function answerBeforeBody(url: string, method: string, length: number, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { ...headers, "Content-Length": String(length) }, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on("error", reject);
    req.flushHeaders();
  });
}

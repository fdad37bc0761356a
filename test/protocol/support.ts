// Shared helpers for the HTTP protocol tests: a thin HTTP client that always drains bodies,
// content builders (blobs, image manifests, indexes, artifacts), push helpers, and assertions
// for the OCI error envelope. Everything speaks plain HTTP to a real `berth serve` process.
import assert from "node:assert/strict";
import { createHash, randomBytes as cryptoRandomBytes } from "node:crypto";
import http from "node:http";
import { after, before } from "node:test";
import { startRegistry, type RunningRegistry } from "../helpers/registry.js";

export const MediaTypes = {
  OciManifest: "application/vnd.oci.image.manifest.v1+json",
  OciIndex: "application/vnd.oci.image.index.v1+json",
  OciConfig: "application/vnd.oci.image.config.v1+json",
  OciLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  OciLayerTar: "application/vnd.oci.image.layer.v1.tar",
  OciLayerNondistributableGzip: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  OciEmpty: "application/vnd.oci.empty.v1+json",
  DockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  DockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  DockerConfig: "application/vnd.docker.container.image.v1+json",
  DockerLayerGzip: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  DockerSchema1: "application/vnd.docker.distribution.manifest.v1+json",
  DockerSchema1Signed: "application/vnd.docker.distribution.manifest.v1+prettyjws",
  OctetStream: "application/octet-stream",
} as const;

/** The OCI empty descriptor payload (`{}`), from the image spec's "Guidance for an Empty Descriptor". */
export const EMPTY_JSON = Buffer.from("{}");
export const EMPTY_JSON_DIGEST = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
export const EMPTY_JSON_DATA = "e30=";

/** Codes the distribution spec defines, plus the legacy Docker codes it says clients may meet. */
export const SPEC_ERROR_CODES: ReadonlySet<string> = new Set([
  "BLOB_UNKNOWN",
  "BLOB_UPLOAD_INVALID",
  "BLOB_UPLOAD_UNKNOWN",
  "DIGEST_INVALID",
  "MANIFEST_BLOB_UNKNOWN",
  "MANIFEST_INVALID",
  "MANIFEST_UNKNOWN",
  "NAME_INVALID",
  "NAME_UNKNOWN",
  "SIZE_INVALID",
  "UNAUTHORIZED",
  "DENIED",
  "UNSUPPORTED",
  "TOOMANYREQUESTS",
  "TAG_INVALID",
  "MANIFEST_UNVERIFIED",
  "RANGE_INVALID",
  "PAGINATION_NUMBER_INVALID",
]);

// ---------------------------------------------------------------------------------------------
// Digests and random content

export function sha256(data: Uint8Array | string): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

export function sha512(data: Uint8Array | string): string {
  return `sha512:${createHash("sha512").update(data).digest("hex")}`;
}

export function randomBytes(size: number): Buffer {
  return cryptoRandomBytes(size);
}

/** A short random lowercase suffix, so tests in one file never share a repository by accident. */
export function suffix(): string {
  return cryptoRandomBytes(4).toString("hex");
}

/** A digest that nothing in these tests ever uploads. */
export function absentDigest(): string {
  return sha256(`absent-${suffix()}-${Date.now()}`);
}

// ---------------------------------------------------------------------------------------------
// HTTP

export interface Reply {
  status: number;
  headers: Headers;
  body: Buffer;
  /** the absolute URL the request went to */
  url: string;
  text(): string;
  json<T = any>(): T;
  header(name: string): string | null;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  /** query parameters merged into the URL (existing ones are kept, as Locations may carry state) */
  query?: Record<string, string>;
}

const REQUEST_TIMEOUT_MS = 60_000;

/**
 * Every manifest type these tests push. Like real clients (spec: "The client SHOULD include an
 * Accept header indicating which manifest content types it supports"), manifest GETs and HEADs
 * announce them all unless a test sets its own Accept.
 */
export const MANIFEST_ACCEPT = [
  MediaTypes.OciManifest,
  MediaTypes.OciIndex,
  MediaTypes.DockerManifest,
  MediaTypes.DockerManifestList,
].join(", ");

/** The base URL of a registry plus request helpers that resolve paths and Locations against it. */
export class Api {
  constructor(readonly base: string) {}

  /** Resolves a path (`/v2/...`) or a Location (relative or absolute) to an absolute URL. */
  resolve(target: string): string {
    return new URL(target, this.base).toString();
  }

  async request(method: string, target: string, options: RequestOptions = {}): Promise<Reply> {
    const url = new URL(this.resolve(target));
    for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    const readsManifest = (method === "GET" || method === "HEAD") && /\/manifests\/[^/]+$/.test(url.pathname);
    if (readsManifest && !Object.keys(headers).some((h) => h.toLowerCase() === "accept")) headers.Accept = MANIFEST_ACCEPT;
    const init: RequestInit = {
      method,
      headers,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      redirect: "follow",
    };
    if (options.body !== undefined) init.body = typeof options.body === "string" ? options.body : Buffer.from(options.body);
    try {
      const res = await fetch(url, init);
      const body = Buffer.from(await res.arrayBuffer());
      return toReply(res.status, res.headers, body, url.toString());
    } catch (err) {
      // fetch only says "fetch failed"; name the request and the socket-level cause.
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause ? ` (${cause.code ?? ""} ${cause.message ?? ""})` : "";
      throw new Error(`${method} ${url.toString().slice(0, 300)}: ${(err as Error).message}${why}; no HTTP response`, { cause: err });
    }
  }

  get(target: string, options?: RequestOptions) {
    return this.request("GET", target, options);
  }
  head(target: string, options?: RequestOptions) {
    return this.request("HEAD", target, options);
  }
  put(target: string, options?: RequestOptions) {
    return this.request("PUT", target, options);
  }
  post(target: string, options?: RequestOptions) {
    return this.request("POST", target, options);
  }
  patch(target: string, options?: RequestOptions) {
    return this.request("PATCH", target, options);
  }
  delete(target: string, options?: RequestOptions) {
    return this.request("DELETE", target, options);
  }

  /** The `Location` of a reply, resolved against the URL that produced it. */
  location(reply: Reply): string {
    const loc = reply.header("location");
    assert.ok(loc, `expected a Location header on ${reply.status} from ${reply.url}`);
    return new URL(loc, reply.url).toString();
  }
}

function toReply(status: number, headers: Headers, body: Buffer, url: string): Reply {
  return {
    status,
    headers,
    body,
    url,
    text: () => body.toString("utf8"),
    json: () => JSON.parse(body.toString("utf8")),
    header: (name) => headers.get(name),
  };
}

export interface RawOptions {
  headers?: Record<string, string>;
  /** a Buffer is sent with Content-Length; an array of chunks is streamed with chunked encoding */
  body?: Buffer | Buffer[];
}

/**
 * A request with an exact, unnormalised path (fetch would resolve `..` and `%2e%2e` before
 * sending) or a streamed body without Content-Length. Uses node:http directly.
 */
export function rawRequest(base: string, method: string, path: string, options: RawOptions = {}): Promise<Reply> {
  const origin = new URL(base);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (Buffer.isBuffer(options.body) && !Object.keys(headers).some((h) => h.toLowerCase() === "content-length")) {
      headers["Content-Length"] = String(options.body.length);
    }
    const req = http.request(
      { host: origin.hostname, port: origin.port, method, path, headers, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            if (Array.isArray(v)) for (const item of v) h.append(k, item);
            else if (v !== undefined) h.set(k, String(v));
          }
          resolve(toReply(res.statusCode ?? 0, h, Buffer.concat(chunks), `${origin.origin}${path}`));
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on("error", (err) => reject(new Error(`${method} ${path.slice(0, 300)}: ${err.message}; no HTTP response`, { cause: err })));
    const body = options.body;
    if (Array.isArray(body)) {
      const write = async () => {
        for (const chunk of body) {
          if (!req.write(chunk)) await new Promise((r) => req.once("drain", r));
          // a short pause so the chunks really travel separately
          await new Promise((r) => setTimeout(r, 5));
        }
        req.end();
      };
      write().catch(reject);
    } else {
      req.end(body);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Assertions

export interface ErrorEntry {
  code: string;
  message?: unknown;
  detail?: unknown;
}

/** Parses and checks the OCI error envelope `{"errors":[{"code","message","detail"}]}`. */
export function errorsOf(reply: Reply): ErrorEntry[] {
  const type = reply.header("content-type") ?? "";
  assert.match(type, /^application\/json/i, `error body should be JSON, got Content-Type "${type}": ${reply.text()}`);
  let parsed: any;
  try {
    parsed = reply.json();
  } catch {
    assert.fail(`error body is not JSON: ${JSON.stringify(reply.text().slice(0, 300))}`);
  }
  assert.ok(parsed && Array.isArray(parsed.errors), `error body lacks an "errors" array: ${reply.text()}`);
  assert.ok(parsed.errors.length > 0, `"errors" is empty: ${reply.text()}`);
  for (const e of parsed.errors) {
    assert.equal(typeof e.code, "string", `error entry without a string code: ${reply.text()}`);
    assert.match(e.code, /^[A-Z_]+$/, `code must be uppercase letters and underscores: ${e.code}`);
    if (e.message !== undefined) assert.equal(typeof e.message, "string", `message must be a string: ${reply.text()}`);
  }
  return parsed.errors as ErrorEntry[];
}

/** Asserts the status and that the first error's code is (one of) `codes`. */
export function expectError(reply: Reply, status: number | number[], codes: string | string[]): ErrorEntry {
  const statuses = Array.isArray(status) ? status : [status];
  const allowed = Array.isArray(codes) ? codes : [codes];
  assert.ok(
    statuses.includes(reply.status),
    `expected HTTP ${statuses.join(" or ")} with ${allowed.join("/")}, got ${reply.status}: ${reply.text().slice(0, 500)}`,
  );
  const errors = errorsOf(reply);
  assert.ok(
    allowed.includes(errors[0]!.code),
    `expected error code ${allowed.join(" or ")}, got ${errors.map((e) => e.code).join(", ")} (HTTP ${reply.status})`,
  );
  return errors[0]!;
}

export function expectStatus(reply: Reply, status: number | number[], what = ""): void {
  const statuses = Array.isArray(status) ? status : [status];
  assert.ok(
    statuses.includes(reply.status),
    `${what ? `${what}: ` : ""}expected HTTP ${statuses.join(" or ")}, got ${reply.status} from ${reply.url}: ${reply.text().slice(0, 500)}`,
  );
}

/** A client error: the request was refused without the server failing. */
export function expectClientError(reply: Reply, what: string): void {
  assert.ok(
    reply.status >= 400 && reply.status < 500,
    `${what}: expected a 4xx, got ${reply.status}: ${reply.text().slice(0, 300)}`,
  );
}

export function expectHeader(reply: Reply, name: string, value: string | RegExp): string {
  const actual = reply.header(name);
  assert.ok(actual !== null, `expected header ${name} on ${reply.status} from ${reply.url}`);
  if (typeof value === "string") assert.equal(actual, value, `header ${name}`);
  else assert.match(actual, value, `header ${name}`);
  return actual;
}

/** Parses `Link: <url>; rel="next"` and resolves the target against the reply's URL. */
export function nextLink(reply: Reply): string | null {
  const link = reply.header("link");
  if (link === null) return null;
  const m = /^\s*<([^>]+)>\s*;\s*rel="?next"?\s*$/.exec(link);
  assert.ok(m, `Link header is not an RFC 5988 rel="next" link: ${link}`);
  return new URL(m[1]!, reply.url).toString();
}

/** Byte-wise ordering: what "lexical order" means for the ASCII strings these tests use. */
export function lexical(values: readonly string[]): string[] {
  return [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------
// Content

export interface Blob {
  data: Buffer;
  digest: string;
  size: number;
  mediaType: string;
}

export function blobOf(data: Uint8Array | string, mediaType: string = MediaTypes.OctetStream): Blob {
  const buf = Buffer.from(data);
  return { data: buf, digest: sha256(buf), size: buf.length, mediaType };
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  [extra: string]: unknown;
}

export function descriptorOf(
  item: { mediaType: string; digest: string; size: number },
  extra: Record<string, unknown> = {},
): Descriptor {
  return { mediaType: item.mediaType, digest: item.digest, size: item.size, ...extra };
}

/** Serialises a document; the bytes are what the registry must store and return unchanged. */
export function encode(document: unknown, indent?: string | number): Buffer {
  return Buffer.from(JSON.stringify(document, null, indent));
}

export interface Manifest {
  bytes: Buffer;
  digest: string;
  size: number;
  mediaType: string;
  /** blobs the manifest references and that must be pushed before it */
  blobs: Blob[];
}

export function manifestOf(document: unknown, mediaType: string, blobs: Blob[] = [], indent?: string | number): Manifest {
  const bytes = encode(document, indent);
  return { bytes, digest: sha256(bytes), size: bytes.length, mediaType, blobs };
}

export interface ImageOptions {
  layers?: number;
  layerSize?: number;
  annotations?: Record<string, string>;
  subject?: Descriptor;
  artifactType?: string;
  /** build a Docker schema 2 manifest instead of an OCI one */
  docker?: boolean;
}

/** A small image: a unique JSON config and random layers. */
export function makeImage(options: ImageOptions = {}): Manifest {
  const docker = options.docker ?? false;
  const config = blobOf(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      created: new Date(0).toISOString(),
      rootfs: { type: "layers", diff_ids: [] },
      config: { Labels: { nonce: suffix() } },
    }),
    docker ? MediaTypes.DockerConfig : MediaTypes.OciConfig,
  );
  const layers = Array.from({ length: options.layers ?? 1 }, () =>
    blobOf(randomBytes(options.layerSize ?? 512), docker ? MediaTypes.DockerLayerGzip : MediaTypes.OciLayerGzip),
  );
  const mediaType = docker ? MediaTypes.DockerManifest : MediaTypes.OciManifest;
  const document: Record<string, unknown> = { schemaVersion: 2, mediaType };
  if (options.artifactType !== undefined) document.artifactType = options.artifactType;
  document.config = descriptorOf(config);
  document.layers = layers.map((l) => descriptorOf(l));
  if (options.subject !== undefined) document.subject = options.subject;
  if (options.annotations !== undefined) document.annotations = options.annotations;
  return manifestOf(document, mediaType, [config, ...layers]);
}

export interface ArtifactOptions {
  artifactType?: string;
  /** config media type; the empty descriptor when absent */
  configMediaType?: string;
  subject?: Descriptor;
  annotations?: Record<string, string>;
  layers?: Blob[];
}

/** An artifact manifest in the image-spec 1.1 style (artifactType, empty config, custom layers). */
export function makeArtifact(options: ArtifactOptions = {}): Manifest {
  const config =
    options.configMediaType === undefined
      ? blobOf(EMPTY_JSON, MediaTypes.OciEmpty)
      : blobOf(JSON.stringify({ nonce: suffix() }), options.configMediaType);
  const layers = options.layers ?? [blobOf(`payload ${suffix()}`, "application/vnd.example.payload")];
  const document: Record<string, unknown> = { schemaVersion: 2, mediaType: MediaTypes.OciManifest };
  if (options.artifactType !== undefined) document.artifactType = options.artifactType;
  document.config =
    config.mediaType === MediaTypes.OciEmpty ? descriptorOf(config, { data: EMPTY_JSON_DATA }) : descriptorOf(config);
  document.layers = layers.map((l) => descriptorOf(l));
  if (options.subject !== undefined) document.subject = options.subject;
  if (options.annotations !== undefined) document.annotations = options.annotations;
  return manifestOf(document, MediaTypes.OciManifest, [config, ...layers]);
}

export interface IndexOptions {
  docker?: boolean;
  artifactType?: string;
  subject?: Descriptor;
  annotations?: Record<string, string>;
  platforms?: boolean;
}

export function makeIndex(children: Manifest[], options: IndexOptions = {}): Manifest {
  const docker = options.docker ?? false;
  const mediaType = docker ? MediaTypes.DockerManifestList : MediaTypes.OciIndex;
  const archs = ["amd64", "arm64", "s390x", "ppc64le", "riscv64"];
  const document: Record<string, unknown> = { schemaVersion: 2, mediaType };
  if (options.artifactType !== undefined) document.artifactType = options.artifactType;
  document.manifests = children.map((c, i) =>
    descriptorOf(c, options.platforms === false ? {} : { platform: { architecture: archs[i % archs.length], os: "linux" } }),
  );
  if (options.subject !== undefined) document.subject = options.subject;
  if (options.annotations !== undefined) document.annotations = options.annotations;
  return manifestOf(document, mediaType);
}

// ---------------------------------------------------------------------------------------------
// Push helpers (each asserts success, so a broken push fails where it happens)

/** POST then PUT (monolithic), the way most clients push. Returns the digest. */
export async function pushBlob(api: Api, name: string, data: Uint8Array | string, digest?: string): Promise<string> {
  const bytes = Buffer.from(data);
  const d = digest ?? sha256(bytes);
  const start = await api.post(`/v2/${name}/blobs/uploads/`);
  expectStatus(start, 202, `POST /v2/${name}/blobs/uploads/`);
  const put = await api.put(api.location(start), {
    query: { digest: d },
    headers: { "Content-Type": MediaTypes.OctetStream },
    body: bytes,
  });
  expectStatus(put, 201, `PUT upload of ${d} to ${name}`);
  return d;
}

export async function pushBlobs(api: Api, name: string, blobs: readonly Blob[]): Promise<void> {
  for (const b of blobs) await pushBlob(api, name, b.data, b.digest);
}

export function putManifest(api: Api, name: string, reference: string, manifest: Manifest, contentType?: string): Promise<Reply> {
  return api.put(`/v2/${name}/manifests/${reference}`, {
    headers: { "Content-Type": contentType ?? manifest.mediaType },
    body: manifest.bytes,
  });
}

/** Pushes the manifest's blobs, then the manifest under `reference` (its digest by default). */
export async function pushManifest(api: Api, name: string, manifest: Manifest, reference?: string): Promise<Reply> {
  await pushBlobs(api, name, manifest.blobs);
  const reply = await putManifest(api, name, reference ?? manifest.digest, manifest);
  expectStatus(reply, 201, `PUT manifest ${reference ?? manifest.digest} to ${name}`);
  return reply;
}

/** Starts an upload session and returns its absolute Location. */
export async function startUpload(api: Api, name: string, headers: Record<string, string> = {}): Promise<string> {
  const reply = await api.post(`/v2/${name}/blobs/uploads/`, { headers });
  expectStatus(reply, 202, `POST /v2/${name}/blobs/uploads/`);
  return api.location(reply);
}

/** The path of a URL (what the conformance suite compares after making Locations relative). */
export function pathOf(url: string): string {
  return new URL(url).pathname;
}

// ---------------------------------------------------------------------------------------------
// One registry per test file

/** Starts a registry before the file's tests and closes it after them; `ready` receives it. */
export function registryPerFile(ready: (started: { registry: RunningRegistry; api: Api }) => void): void {
  let registry: RunningRegistry | undefined;
  before(async () => {
    registry = await startRegistry();
    ready({ registry, api: new Api(registry.url) });
  });
  after(async () => {
    await registry?.close();
  });
}

// A small keep-alive HTTP client for the registry API (setup, small pushes, page walks). Large
// bodies go through curl instead (tools.ts); request rates through wrk and ab.
import { createHash } from "node:crypto";
import { Agent, request, type IncomingHttpHeaders } from "node:http";

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export class BenchError extends Error {}

export class Client {
  readonly agent: Agent;

  constructor(
    readonly base: string,
    concurrency = 16,
    /** sent with every request (e.g. a bearer token) */
    private readonly defaultHeaders: Record<string, string> = {},
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  }

  close(): void {
    this.agent.destroy();
  }

  /** One request; `path` may be absolute (a Location) or a path. */
  send(method: string, path: string, body?: Buffer, headers: Record<string, string> = {}): Promise<Reply> {
    const url = new URL(path, this.base);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          agent: this.agent,
          headers: { ...this.defaultHeaders, ...headers, "Content-Length": String(body?.byteLength ?? 0) },
          timeout: 300_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new BenchError(`${method} ${url.pathname} timed out`)));
      req.on("error", reject);
      req.end(body);
    });
  }

  /** send(), failing unless the status is one of `ok`. */
  async expect(ok: number[], method: string, path: string, body?: Buffer, headers?: Record<string, string>): Promise<Reply> {
    const reply = await this.send(method, path, body, headers);
    if (!ok.includes(reply.status)) throw unexpected(method, path, reply, ok);
    return reply;
  }

  /** POST a session; the absolute URL of the upload (Location), ready for a `digest` parameter. */
  async startUpload(repo: string): Promise<string> {
    const reply = await this.expect([202], "POST", `/v2/${repo}/blobs/uploads/`);
    return this.location(reply, "POST upload");
  }

  location(reply: Reply, what: string): string {
    const loc = reply.headers.location;
    if (!loc) throw new BenchError(`${what}: no Location header (status ${reply.status})`);
    return new URL(loc, this.base).toString();
  }

  /** POST then PUT ?digest= with the body: the monolithic upload both registries accept. */
  async pushBlob(repo: string, data: Buffer, digest: string): Promise<void> {
    const loc = await this.startUpload(repo);
    const reply = await this.expect([201], "PUT", withDigest(loc, digest), data, { "Content-Type": "application/octet-stream" });
    checkDigestHeader(reply, digest, `PUT blob ${repo}`);
  }

  /** Cross-repository mount; both registries answer 201 when the source has the blob. */
  async mountBlob(repo: string, digest: string, from: string): Promise<void> {
    await this.expect([201], "POST", `/v2/${repo}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`);
  }

  async putManifest(repo: string, ref: string, manifest: Buffer, digest: string): Promise<void> {
    const reply = await this.expect([201], "PUT", `/v2/${repo}/manifests/${ref}`, manifest, { "Content-Type": OCI_MANIFEST });
    checkDigestHeader(reply, digest, `PUT manifest ${repo}:${ref}`);
  }

  /** HEAD a blob and check its size and digest. */
  async checkBlob(repo: string, digest: string, size: number): Promise<void> {
    const reply = await this.expect([200], "HEAD", `/v2/${repo}/blobs/${digest}`);
    checkDigestHeader(reply, digest, `HEAD blob ${repo}`);
    if (Number(reply.headers["content-length"]) !== size) {
      throw new BenchError(`HEAD blob ${repo}@${digest}: Content-Length ${reply.headers["content-length"]}, expected ${size}`);
    }
  }

  /** GET a blob through a hash: fails on a wrong status, size or digest. */
  async verifyBlobDownload(repo: string, digest: string, size: number): Promise<void> {
    const url = new URL(`/v2/${repo}/blobs/${digest}`, this.base);
    const hash = createHash("sha256");
    let received = 0;
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(url, { agent: this.agent, headers: this.defaultHeaders }, (res) => {
        res.on("data", (c: Buffer) => {
          hash.update(c);
          received += c.byteLength;
        });
        res.on("end", () => resolve(res.statusCode ?? 0));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end();
    });
    const actual = `sha256:${hash.digest("hex")}`;
    if (status !== 200 || received !== size || actual !== digest) {
      throw new BenchError(`GET blob ${repo}: status ${status}, ${received} bytes, ${actual}; expected 200, ${size} bytes, ${digest}`);
    }
  }
}

export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
export const OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";
/** Distribution 2.8 answers 404 to a client that does not accept OCI manifests. */
export const ACCEPT_MANIFESTS = `${OCI_MANIFEST}, application/vnd.docker.distribution.manifest.v2+json`;

export function withDigest(location: string, digest: string): string {
  return `${location}${location.includes("?") ? "&" : "?"}digest=${encodeURIComponent(digest)}`;
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

export function unexpected(method: string, path: string, reply: Reply, ok: number[]): BenchError {
  const body = reply.body.toString("utf8").slice(0, 500);
  return new BenchError(`${method} ${path.slice(0, 200)}: HTTP ${reply.status}, expected ${ok.join("/")}: ${body}`);
}

export function checkDigestHeader(reply: Reply, digest: string, what: string): void {
  const got = reply.headers["docker-content-digest"];
  if (got !== digest) throw new BenchError(`${what}: Docker-Content-Digest ${String(got)}, expected ${digest}`);
}

/** An OCI image manifest over a config and layers. */
export function imageManifest(config: { digest: string; size: number }, layers: { digest: string; size: number }[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: OCI_CONFIG, digest: config.digest, size: config.size },
      layers: layers.map((l) => ({ mediaType: OCI_LAYER, digest: l.digest, size: l.size })),
    }),
  );
}

/** Runs `work` over `items` with at most `concurrency` in flight; the first error wins. */
export async function pool<T>(items: T[], concurrency: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined && next < items.length) {
      const i = next++;
      try {
        await work(items[i]!, i);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failed !== undefined) throw failed;
}

/** The next-page URL of a `Link: <url>; rel="next"` header, if any. */
export function nextPage(reply: Reply): string | undefined {
  const header = reply.headers.link;
  const link = Array.isArray(header) ? header.join(", ") : header;
  if (!link) return undefined;
  const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  return m?.[1];
}

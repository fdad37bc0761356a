import type { IncomingMessage } from "node:http";
import { RegistryError } from "../registry/errors.js";
import { rangeHeader, type ContentRange, type UploadState } from "../registry/uploads.js";
import { hasBody, sendEmpty, type HandlerContext } from "./context.js";
import { requestBody } from "./request-body.js";

/**
 * `POST /v2/<name>/blobs/uploads/`: starts a session, or with `?digest=` takes the whole blob
 * at once, or with `?mount=` (and optionally `from=`) links an existing blob.
 */
export async function startUpload(ctx: HandlerContext): Promise<void> {
  const { query, name } = ctx;
  const mount = query.get("mount");
  if (mount !== null) {
    const from = query.get("from");
    // Without `from`, any repository holding the blob will do (automatic cross-mount), but only
    // one the caller may pull from: a digest must never open another tenancy's private bytes.
    // Candidates are filtered silently: the caller never named them, so nobody's audit log hears of them.
    const sources =
      from !== null
        ? ctx.granted("PullImage", from) ? [from] : []
        : await ctx.authz.filter(ctx.principal, "PullImage", await ctx.registry.uploads.mountSources(mount));
    for (const source of sources) {
      if ((await ctx.registry.uploads.mount(name, mount, source)) !== undefined) return blobCreated(ctx, mount);
    }
    // Nothing to mount (or no right to read a source): fall back to a normal session, as the spec says.
  }
  const digest = query.get("digest");
  if (digest !== null) {
    const { digest: committed } = await ctx.registry.uploads.putWhole(name, digest, requestBody(ctx.req), contentLength(ctx.req));
    return blobCreated(ctx, committed);
  }
  const state = await ctx.registry.uploads.start(name);
  // A POST body without a digest has nothing to be checked against; it is discarded.
  sessionResponse(ctx, state, 202);
}

/** `GET /v2/<name>/blobs/uploads/<id>`: how far the upload got. */
export async function uploadStatus(ctx: HandlerContext): Promise<void> {
  sessionResponse(ctx, await ctx.registry.uploads.status(ctx.name, ctx.ref), 204);
}

/** `PATCH /v2/<name>/blobs/uploads/<id>`: one chunk (with Content-Range) or a stream (without). */
export async function appendChunk(ctx: HandlerContext): Promise<void> {
  const state = await ctx.registry.uploads.append(ctx.name, ctx.ref, requestBody(ctx.req), contentRange(ctx.req), contentLength(ctx.req));
  sessionResponse(ctx, state, 202);
}

/** `PUT /v2/<name>/blobs/uploads/<id>?digest=`: the optional last chunk, then commit. */
export async function completeUpload(ctx: HandlerContext): Promise<void> {
  const range = contentRange(ctx.req);
  const chunk = hasBody(ctx.req) ? requestBody(ctx.req) : undefined;
  const { digest } = await ctx.registry.uploads.complete(ctx.name, ctx.ref, ctx.query.get("digest"), chunk, range, contentLength(ctx.req));
  blobCreated(ctx, digest);
}

/** `DELETE /v2/<name>/blobs/uploads/<id>`: cancels the session. */
export async function cancelUpload(ctx: HandlerContext): Promise<void> {
  await ctx.registry.uploads.cancel(ctx.name, ctx.ref);
  sendEmpty(ctx.res, 204);
}

function blobCreated(ctx: HandlerContext, digest: string): void {
  sendEmpty(ctx.res, 201, { Location: `/v2/${ctx.name}/blobs/${digest}`, "Docker-Content-Digest": digest });
}

function sessionResponse(ctx: HandlerContext, state: UploadState, status: number): void {
  sendEmpty(ctx.res, status, {
    Location: `/v2/${ctx.name}/blobs/uploads/${state.id}`,
    "Docker-Upload-UUID": state.id,
    Range: rangeHeader(state.size),
  });
}

/** The body's declared length (for the storage quota's check before the bytes), if it declares one. */
function contentLength(req: IncomingMessage): number | undefined {
  const header = req.headers["content-length"];
  return header !== undefined && /^\d{1,15}$/.test(header) ? Number(header) : undefined;
}

/** `Content-Range: <start>-<end>` (the spec's form; `bytes ` prefixes and `/total` are tolerated). */
function contentRange(req: IncomingMessage): ContentRange | undefined {
  const header = req.headers["content-range"];
  if (header === undefined) return undefined;
  const m = /^(?:bytes[ =])?(\d{1,15})-(\d{1,15})(?:\/(?:\d{1,15}|\*))?$/.exec(header.trim());
  if (!m) {
    throw new RegistryError("BLOB_UPLOAD_INVALID", "malformed Content-Range; expected <start>-<end>", { contentRange: header.slice(0, 100) }, 416);
  }
  const range = { start: Number(m[1]), end: Number(m[2]) };
  const length = req.headers["content-length"];
  if (length !== undefined && Number(length) !== range.end - range.start + 1) {
    throw new RegistryError("BLOB_UPLOAD_INVALID", "Content-Range does not match Content-Length", { contentRange: header, contentLength: length }, 416);
  }
  return range;
}

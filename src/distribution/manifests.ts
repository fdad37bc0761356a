import { MAX_MANIFEST_BYTES } from "../content/manifest.js";
import { readBody, sendEmpty, type HandlerContext } from "./context.js";

/** `HEAD|GET /v2/<name>/manifests/<reference>`: the exact bytes pushed. */
export async function getManifest(ctx: HandlerContext): Promise<void> {
  const head = ctx.req.method === "HEAD";
  const manifest = await ctx.registry.manifests.get(ctx.name, ctx.ref, ctx.req.headers.accept, !head);
  ctx.res.writeHead(200, {
    "Content-Type": manifest.mediaType,
    "Content-Length": manifest.size,
    "Docker-Content-Digest": manifest.digest,
    ETag: `"${manifest.digest}"`,
  });
  ctx.res.end(head ? undefined : manifest.content);
}

/** `PUT /v2/<name>/manifests/<reference>` */
export async function putManifest(ctx: HandlerContext): Promise<void> {
  const body = await readBody(ctx.req, MAX_MANIFEST_BYTES);
  const pushedBy = ctx.principal.kind === "user" ? ctx.principal.name : null;
  const { digest, subject } = await ctx.registry.manifests.put(ctx.name, ctx.ref, body, ctx.req.headers["content-type"], pushedBy);
  const headers: Record<string, string> = { Location: `/v2/${ctx.name}/manifests/${digest}`, "Docker-Content-Digest": digest };
  if (subject) headers["OCI-Subject"] = subject;
  sendEmpty(ctx.res, 201, headers);
}

/** `DELETE /v2/<name>/manifests/<reference>`: a digest deletes the manifest, a tag only the tag. */
export async function deleteManifest(ctx: HandlerContext): Promise<void> {
  await ctx.registry.manifests.delete(ctx.name, ctx.ref);
  sendEmpty(ctx.res, 202);
}

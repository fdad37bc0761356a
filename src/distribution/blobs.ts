import type { ServerResponse } from "node:http";
import { pipeline } from "node:stream/promises";
import { MediaType } from "../content/mediatypes.js";
import { sendEmpty, type HandlerContext } from "./context.js";

/** `HEAD|GET /v2/<name>/blobs/<digest>`, with single-range support. */
export async function getBlob(ctx: HandlerContext): Promise<void> {
  const { req, res } = ctx;
  if (req.method === "HEAD") {
    const { digest, size } = await ctx.registry.blobs.stat(ctx.name, ctx.ref);
    blobHeaders(res, digest);
    res.writeHead(200, { "Content-Length": size });
    res.end();
    return;
  }
  const redirect = ctx.registry.blobs.redirects ? await ctx.registry.blobs.redirect(ctx.name, ctx.ref) : undefined;
  if (redirect) {
    // storage.redirect: the client fetches the bytes from object storage itself (Distribution: 307).
    res.writeHead(307, { Location: redirect.url, "Docker-Content-Digest": redirect.digest, "Content-Length": 0 });
    res.end();
    return;
  }
  const { digest, size, range, body } = await ctx.registry.blobs.open(ctx.name, ctx.ref, req.headers.range);
  blobHeaders(res, digest);
  if (range) {
    res.writeHead(206, {
      "Content-Range": `bytes ${range.start}-${range.end}/${size}`,
      "Content-Length": range.end - range.start + 1,
    });
  } else {
    res.writeHead(200, { "Content-Length": size });
  }
  if (Buffer.isBuffer(body)) {
    res.end(body);
  } else if (body.copyTo) {
    await body.copyTo(res);
    res.end();
  } else {
    await pipeline(body, res);
  }
}

function blobHeaders(res: ServerResponse, digest: string): void {
  res.setHeader("Docker-Content-Digest", digest);
  res.setHeader("Content-Type", MediaType.OctetStream);
  res.setHeader("Accept-Ranges", "bytes");
  res.setHeader("ETag", `"${digest}"`);
  // Content-addressed: the bytes behind a digest never change.
  res.setHeader("Cache-Control", "max-age=31536000");
}

/** `DELETE /v2/<name>/blobs/<digest>`: unlinks the blob from the repository. */
export async function deleteBlob(ctx: HandlerContext): Promise<void> {
  await ctx.registry.blobs.delete(ctx.name, ctx.ref);
  sendEmpty(ctx.res, 202);
}

import { toPageSize } from "../registry/validate.js";
import { nextLink, sendJson, type HandlerContext } from "./context.js";

/** A page is never larger than this, whatever `n` asks (the spec lets registries cap it). */
export const MAX_PAGE = 10_000;

/** `GET /v2/<name>/tags/list?n=&last=` */
export async function listTags(ctx: HandlerContext): Promise<void> {
  const n = toPageSize(ctx.query.get("n"), MAX_PAGE);
  const last = ctx.query.get("last") ?? undefined;
  const limit = n ?? MAX_PAGE;
  // One extra row tells whether a next page exists without a second query.
  const tags = await ctx.registry.manifests.tags(ctx.name, limit === 0 ? 0 : limit + 1, last);
  if (tags.length > limit) {
    tags.length = limit;
    ctx.res.setHeader("Link", nextLink(`/v2/${ctx.name}/tags/list`, limit, tags[limit - 1]!));
  }
  sendJson(ctx.res, 200, { name: ctx.name, tags }, ctx.req.method === "HEAD");
}

import { toPageSize } from "../registry/validate.js";
import { nextLink, sendJson, type HandlerContext } from "./context.js";
import { MAX_PAGE } from "./tags.js";

/** `GET /v2/_catalog?n=&last=` */
export async function catalog(ctx: HandlerContext): Promise<void> {
  const n = toPageSize(ctx.query.get("n"), MAX_PAGE);
  const last = ctx.query.get("last") ?? undefined;
  const limit = n ?? MAX_PAGE;
  const repositories = limit === 0 ? [] : await ctx.registry.repositories.list(limit + 1, last);
  if (repositories.length > limit) {
    repositories.length = limit;
    ctx.res.setHeader("Link", nextLink("/v2/_catalog", limit, repositories[limit - 1]!));
  }
  sendJson(ctx.res, 200, { repositories }, ctx.req.method === "HEAD");
}

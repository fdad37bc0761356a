import { toPageSize } from "../registry/validate.js";
import { nextLink, sendJson, type HandlerContext } from "./context.js";
import { MAX_PAGE } from "./tags.js";

/** `GET /v2/_catalog?n=&last=`: the repositories the caller may inspect. */
export async function catalog(ctx: HandlerContext): Promise<void> {
  const n = toPageSize(ctx.query.get("n"), MAX_PAGE);
  const last = ctx.query.get("last") ?? undefined;
  const limit = n ?? MAX_PAGE;
  const prefix = ctx.authz.visiblePrefix(ctx.principal);
  const visible = (names: string[]) => ctx.authz.filter(ctx.principal, "ListDockerRepositories", names);
  const repositories = limit === 0 ? [] : await ctx.registry.repositories.list(limit + 1, last, prefix, visible);
  if (repositories.length > limit) {
    repositories.length = limit;
    ctx.res.setHeader("Link", nextLink("/v2/_catalog", limit, repositories[limit - 1]!));
  }
  sendJson(ctx.res, 200, { repositories }, ctx.req.method === "HEAD");
}

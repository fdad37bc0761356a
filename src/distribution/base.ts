import type { HandlerContext } from "./context.js";
import { sendJson } from "./context.js";

/** `GET /v2/`: the API version check clients make first. */
export async function apiVersion(ctx: HandlerContext): Promise<void> {
  sendJson(ctx.res, 200, {}, ctx.req.method === "HEAD");
}

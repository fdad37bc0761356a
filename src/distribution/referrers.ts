import { MediaType } from "../content/mediatypes.js";
import { sendJson, type HandlerContext } from "./context.js";

/** `GET /v2/<name>/referrers/<digest>?artifactType=`: an index of the manifests whose subject is <digest>. */
export async function listReferrers(ctx: HandlerContext): Promise<void> {
  const artifactType = ctx.query.get("artifactType") ?? undefined;
  const referrers = await ctx.registry.manifests.referrers(ctx.name, ctx.ref, artifactType);
  if (artifactType !== undefined) ctx.res.setHeader("OCI-Filters-Applied", "artifactType");
  const index = {
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: referrers.map((r) => ({
      mediaType: r.mediaType,
      digest: r.digest,
      size: r.size,
      ...(r.artifactType ? { artifactType: r.artifactType } : {}),
      ...(r.annotations ? { annotations: r.annotations } : {}),
    })),
  };
  sendJson(ctx.res, 200, index, ctx.req.method === "HEAD", MediaType.OciIndex);
}

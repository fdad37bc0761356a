// Tags and images (manifests) of one repository, as the console and the CLI see them. Deleting an
// image deletes its manifest by digest (and so every tag pointing at it); deleting a tag only
// untags. Both go through the registry's manifest service, so `storage.delete.enabled` holds here too.
// The caller has decided already (the API's router, or the local operator's CLI).
import { isValidTag } from "../content/names.js";
import type { Actor } from "../iam/audit.js";
import type { Principal } from "../iam/principal.js";
import type { ManifestSummary, Page, TagRecord } from "../metadata/store.js";
import { nameUnknown } from "../registry/errors.js";
import type { AdminContext } from "./context.js";
import { invalid } from "./errors.js";
import { parseRepositoryName } from "./repositories.js";

export class ImageAdmin {
  constructor(private readonly ctx: AdminContext) {}

  /** Tags sorted by name after `page.last`, each with its digest. */
  async listTags(actor: Principal, name: string, page: Page): Promise<TagRecord[]> {
    parseRepositoryName(name);
    const tags = await this.ctx.meta.listTagRecords(name, page);
    if (tags.length === 0 && !(await this.ctx.meta.repositoryExists(name))) throw nameUnknown(name);
    return tags;
  }

  /** Images (manifests) sorted by digest after `page.last`, each with its tags. */
  async listImages(actor: Principal, name: string, page: Page): Promise<ManifestSummary[]> {
    parseRepositoryName(name);
    const images = await this.ctx.meta.listManifests(name, page);
    if (images.length === 0 && !(await this.ctx.meta.repositoryExists(name))) throw nameUnknown(name);
    return images;
  }

  /** Removes the tag only; the image stays, under its digest and any other tag. */
  async deleteTag(actor: Principal, name: string, tag: string): Promise<void> {
    const { namespace } = parseRepositoryName(name);
    if (!isValidTag(tag)) throw invalid(`invalid tag "${tag.slice(0, 200)}"`);
    await this.ctx.registry.manifests.delete(name, tag);
    this.ctx.audit.record({ actor, action: "DeleteTag", target: `${name}:${tag}`, outcome: "ok", tenancy: namespace });
  }

  /** Removes the manifest `digest` and every tag pointing at it; audited as `as` says (a retention policy's deletion). */
  async deleteImage(actor: Actor, name: string, digest: string, as: { action: string; detail?: string } = { action: "DeleteImage" }): Promise<void> {
    const { namespace } = parseRepositoryName(name);
    if (!digest.includes(":")) throw invalid(`invalid digest "${digest.slice(0, 200)}": expected <algorithm>:<hex>`);
    await this.ctx.registry.manifests.delete(name, digest);
    this.ctx.audit.record({ actor, action: as.action, target: `${name}@${digest}`, outcome: "ok", tenancy: namespace, detail: as.detail });
  }

}

// Tags and images (manifests) of one repository, as the console and the CLI see them. Deleting an
// image deletes its manifest by digest (and so every tag pointing at it); deleting a tag only
// untags. Both go through the registry's manifest service, so `storage.delete.enabled` holds here too.
// The caller has decided already (the API's router, or the local operator's CLI).
import { isValidTag } from "../content/names.js";
import type { Actor } from "../iam/audit.js";
import type { Principal } from "../iam/principal.js";
import type { ManifestSummary, Page, TagRecord } from "../metadata/store.js";
import { describeManifest, IMAGE_CONFIG_TYPES, MAX_CONFIG_BYTES, summarizeConfig, type ConfigSummary, type DescribedBlob, type DescribedChild } from "../content/image-description.js";
import { nameUnknown } from "../registry/errors.js";
import { toDigest } from "../registry/validate.js";
import type { AdminContext } from "./context.js";
import { invalid, notFound } from "./errors.js";
import { parseRepositoryName } from "./repositories.js";

/** One image as the console's image view and `berth image show` present it. */
export interface ImageDetail extends Omit<ManifestSummary, "tags"> {
  tags: string[];
  subject: string | null;
  /** an image manifest's config, with the config's summary when it is an image config of at most 1 MiB */
  config?: DescribedBlob & ConfigSummary;
  layers?: DescribedBlob[];
  /** an index's manifests, with their platforms */
  manifests?: DescribedChild[];
  referrers: { digest: string; mediaType: string; artifactType: string | null; size: number; pushedAt: number }[];
}

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

  /** One image by digest: sizes, tags, pusher, pulls, what it is made of, and what refers to it. */
  async getImage(actor: Principal, name: string, digestParam: string): Promise<ImageDetail> {
    parseRepositoryName(name);
    const digest = toDigest(digestParam).digest;
    const manifest = await this.ctx.meta.getManifest(name, digest);
    if (!manifest) throw (await this.ctx.meta.repositoryExists(name)) ? notFound(`image ${digest} in ${name}`) : nameUnknown(name);
    const [sizes, tags, referrers] = await Promise.all([
      this.ctx.meta.imageSizes(name, [digest]),
      this.ctx.meta.tagsOf(name, digest),
      this.ctx.registry.manifests.referrers(name, digest, undefined),
    ]);
    const detail: ImageDetail = {
      digest,
      mediaType: manifest.mediaType,
      artifactType: manifest.artifactType,
      size: sizes.get(digest) ?? manifest.size,
      pushedAt: manifest.pushedAt,
      pushedBy: manifest.pushedBy,
      lastPulledAt: manifest.lastPulledAt,
      pullCount: manifest.pullCount,
      tags,
      subject: manifest.subject,
      referrers: referrers.map((r) => ({ digest: r.digest, mediaType: r.mediaType, artifactType: r.artifactType, size: r.size, pushedAt: r.pushedAt })),
    };
    const described = describeManifest(manifest.content, manifest.mediaType);
    if (described.kind === "index") {
      detail.manifests = described.manifests;
      detail.platforms = described.manifests.flatMap((m) => (m.platform ? [m.platform] : []));
    } else {
      detail.layers = described.layers;
      const config = IMAGE_CONFIG_TYPES.has(described.config.mediaType) ? await this.ctx.registry.blobs.readBounded(name, described.config.digest, MAX_CONFIG_BYTES) : undefined;
      detail.config = { ...described.config, ...(config ? summarizeConfig(config) : {}) };
    }
    return detail;
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


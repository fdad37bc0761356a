// Manifests and tags: validated on the way in, served from metadata on the way out.
import { digestOf } from "../content/digest.js";
import { ManifestError, MAX_MANIFEST_BYTES, parseManifest, type ParsedManifest } from "../content/manifest.js";
import { INDEX_TYPES, MediaType } from "../content/mediatypes.js";
import { MissingReferences, type ManifestRecord, type ManifestReference, type MetadataStore, type ReferrerRecord } from "../metadata/store.js";
import type { RegistryContext } from "./context.js";
import { manifestUnknown, nameUnknown, RegistryError, unsupported } from "./errors.js";
import type { PullRecorder } from "./pulls.js";
import { toDigest, toLookupReference, toReference } from "./validate.js";

export interface PutResult {
  digest: string;
  subject: string | null;
}

export class ManifestService {
  constructor(
    private readonly ctx: RegistryContext,
    private readonly pulls: PullRecorder,
  ) {}

  /** `pushedBy`: `<tenancy>/<user>` of the pusher, recorded with the manifest (null: anonymous or unknown). */
  async put(repository: string, referenceParam: string, body: Buffer, contentType: string | undefined, pushedBy: string | null = null): Promise<PutResult> {
    const reference = toReference(referenceParam);
    if (body.byteLength > MAX_MANIFEST_BYTES) {
      throw new RegistryError("SIZE_INVALID", `manifest larger than ${MAX_MANIFEST_BYTES} bytes`, undefined, 413);
    }
    const algorithm = reference.kind === "digest" ? reference.digest.algorithm : "sha256";
    const digest = digestOf(body, algorithm);
    if (reference.kind === "digest" && reference.digest.digest !== digest) {
      throw new RegistryError("DIGEST_INVALID", "manifest digest does not match the reference", {
        reference: reference.digest.digest,
        actual: digest,
      });
    }
    let parsed: ParsedManifest;
    try {
      parsed = parseManifest(body, contentType);
    } catch (err) {
      if (err instanceof ManifestError) throw new RegistryError("MANIFEST_INVALID", err.message);
      throw err;
    }
    await this.checkReferences(repository, parsed);
    const references: ManifestReference[] = [
      ...parsed.blobs.map((d) => ({ child: d.digest, kind: "blob" as const })),
      ...parsed.manifests.map((d) => ({ child: d.digest, kind: "manifest" as const })),
    ];
    await this.store(
      {
        repository,
        digest,
        mediaType: parsed.mediaType,
        artifactType: parsed.artifactType,
        size: body.byteLength,
        content: body,
        subject: parsed.subject?.digest ?? null,
        annotations: parsed.annotations,
        pushedAt: this.ctx.now(),
        pushedBy,
      },
      references,
      reference.kind === "tag" ? reference.tag : undefined,
    );
    return { digest, subject: parsed.subject?.digest ?? null };
  }

  private async store(...args: Parameters<MetadataStore["putManifest"]>): Promise<void> {
    try {
      await this.ctx.meta.putManifest(...args);
    } catch (err) {
      // Removed by garbage collection between the check above and the write.
      if (err instanceof MissingReferences) {
        throw new RegistryError("MANIFEST_BLOB_UNKNOWN", "manifest references content unknown to this repository", { missing: err.missing });
      }
      throw err;
    }
  }

  /** A manifest by tag or digest. `pull` counts it as a pull (GET, not HEAD). */
  async get(repository: string, referenceParam: string, accept: string | undefined, pull: boolean): Promise<ManifestRecord> {
    const reference = toLookupReference(referenceParam);
    const manifest =
      reference.kind === "tag"
        ? await this.ctx.meta.getTaggedManifest(repository, reference.tag)
        : await this.ctx.meta.getManifest(repository, reference.digest.digest);
    if (!manifest) throw manifestUnknown(referenceParam);
    if (!acceptable(manifest.mediaType, accept)) {
      throw new RegistryError("MANIFEST_UNKNOWN", `manifest is a ${manifest.mediaType}, which the Accept header does not allow`, {
        reference: referenceParam,
        mediaType: manifest.mediaType,
      });
    }
    if (pull) this.pulls.record(repository, manifest.digest, this.ctx.now(), manifest.size);
    return manifest;
  }

  /** By digest: removes the manifest and its tags. By tag: removes only the tag. */
  async delete(repository: string, referenceParam: string): Promise<void> {
    if (!this.ctx.deleteEnabled) throw unsupported("deletes are disabled on this registry");
    const reference = toLookupReference(referenceParam);
    const deleted =
      reference.kind === "tag"
        ? await this.ctx.meta.deleteTag(repository, reference.tag, this.ctx.now())
        : await this.ctx.meta.deleteManifest(repository, reference.digest.digest);
    if (!deleted) throw manifestUnknown(referenceParam);
  }

  /** Tags sorted lexically, after `last`, at most `limit`; NAME_UNKNOWN for an unknown repository. */
  async tags(repository: string, limit: number, last: string | undefined): Promise<string[]> {
    const tags = await this.ctx.meta.listTags(repository, { limit, last });
    if (tags.length === 0 && !(await this.ctx.meta.repositoryExists(repository))) throw nameUnknown(repository);
    return tags;
  }

  async referrers(repository: string, subjectParam: string, artifactType: string | undefined): Promise<ReferrerRecord[]> {
    const subject = toDigest(subjectParam).digest;
    return this.ctx.meta.listReferrers(repository, subject, artifactType);
  }

  /** Everything a manifest points at must already be in the repository, with the declared size. */
  private async checkReferences(repository: string, parsed: ParsedManifest): Promise<void> {
    if (parsed.blobs.length > 0) {
      const sizes = await this.ctx.meta.linkedBlobSizes(repository, parsed.blobs.map((d) => d.digest));
      const missing = parsed.blobs.filter((d) => !sizes.has(d.digest)).map((d) => d.digest);
      if (missing.length > 0) {
        throw new RegistryError("MANIFEST_BLOB_UNKNOWN", "manifest references blobs unknown to this repository", { missing });
      }
      const wrong = parsed.blobs.find((d) => sizes.get(d.digest) !== d.size);
      if (wrong) {
        throw new RegistryError("MANIFEST_INVALID", `descriptor size ${wrong.size} does not match blob ${wrong.digest}`, {
          digest: wrong.digest,
          declared: wrong.size,
          actual: sizes.get(wrong.digest),
        });
      }
    }
    if (parsed.manifests.length > 0) {
      const missing = await this.ctx.meta.missingManifests(repository, parsed.manifests.map((d) => d.digest));
      if (missing.length > 0) {
        throw new RegistryError("MANIFEST_BLOB_UNKNOWN", "index references manifests unknown to this repository", { missing });
      }
    }
  }
}

/**
 * Content negotiation. Image manifests are served whatever the Accept header says (clients
 * that cannot parse them fail clearly); an index is served only to clients that say they
 * understand indexes, as Distribution does, so an old client never mistakes one for an image.
 */
function acceptable(mediaType: string, accept: string | undefined): boolean {
  if (!accept || !INDEX_TYPES.has(mediaType)) return true;
  const types = accept.split(",").map((part) => part.split(";")[0]!.trim().toLowerCase());
  if (types.includes(mediaType) || types.some((t) => t === "*/*" || t === "application/*")) return true;
  // A client that names no manifest type at all did not negotiate; serve it.
  const manifestTypes: string[] = [MediaType.OciManifest, MediaType.DockerManifest, MediaType.OciIndex, MediaType.DockerManifestList];
  return !types.some((t) => manifestTypes.includes(t));
}

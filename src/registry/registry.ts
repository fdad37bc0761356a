// The registry's domain services, assembled from one context.
import { BlobService } from "./blobs.js";
import type { RegistryContext } from "./context.js";
import { ManifestService } from "./manifests.js";
import { PullRecorder } from "./pulls.js";
import { RepositoryService } from "./repositories.js";
import { UploadService } from "./uploads.js";

export class Registry {
  readonly blobs: BlobService;
  readonly uploads: UploadService;
  readonly manifests: ManifestService;
  readonly repositories: RepositoryService;
  readonly pulls: PullRecorder;

  constructor(readonly ctx: RegistryContext) {
    this.pulls = new PullRecorder(ctx.meta, (err) => ctx.log.error({ err }, "recording pull statistics failed"));
    this.blobs = new BlobService(ctx, this.pulls);
    this.uploads = new UploadService(ctx);
    this.manifests = new ManifestService(ctx, this.pulls);
    this.repositories = new RepositoryService(ctx);
  }

  async close(): Promise<void> {
    await this.pulls.close();
  }
}

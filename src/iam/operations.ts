// Every operation a caller can ask for, with the permission it needs (OCIR's model): the names
// are what `request.operation` matches in policy conditions.
import type { Permission } from "./policy/index.js";

export const OPERATIONS = {
  /** `GET /v2/_catalog` and listing repositories in the console */
  ListDockerRepositories: "REPOSITORY_INSPECT",
  /** seeing a repository's details (tags, sizes) in the console */
  GetContainerRepository: "REPOSITORY_INSPECT",
  /** manifests, blobs, tags list, referrers */
  PullImage: "REPOSITORY_READ",
  /** blob uploads and manifest PUT */
  PushImage: "REPOSITORY_UPDATE",
  /** the first push to a missing repository, or creating it explicitly */
  CreateContainerRepository: "REPOSITORY_CREATE",
  /** manifest, tag and blob DELETE */
  DeleteImage: "REPOSITORY_DELETE",
  DeleteContainerRepository: "REPOSITORY_DELETE",
  /** visibility (public/private) and other repository settings */
  UpdateContainerRepository: "REPOSITORY_MANAGE",
} as const satisfies Record<string, Permission>;

export type Operation = keyof typeof OPERATIONS;

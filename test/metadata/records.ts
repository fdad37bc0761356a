import type { NewManifest } from "../../src/metadata/store.js";

/** A manifest record for store tests: `{}` (2 bytes), no artifact type, subject or annotations; `extra` overrides. */
export function manifestRecord(repository: string, digest: string, extra: Partial<NewManifest> = {}): NewManifest {
  return {
    repository,
    digest,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    artifactType: null,
    size: 2,
    content: Buffer.from("{}"),
    subject: null,
    annotations: null,
    pushedAt: 1000,
    ...extra,
  };
}

export const MediaType = {
  OciManifest: "application/vnd.oci.image.manifest.v1+json",
  OciIndex: "application/vnd.oci.image.index.v1+json",
  OciEmpty: "application/vnd.oci.empty.v1+json",
  DockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  DockerManifestList: "application/vnd.docker.distribution.manifest.list.v2+json",
  DockerSchema1: "application/vnd.docker.distribution.manifest.v1+json",
  DockerSchema1Signed: "application/vnd.docker.distribution.manifest.v1+prettyjws",
  OctetStream: "application/octet-stream",
} as const;

/** Layers that registries must not require to be present (their bytes live elsewhere). */
export const NON_DISTRIBUTABLE_LAYERS = new Set([
  "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  "application/vnd.oci.image.layer.nondistributable.v1.tar",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
]);

export const INDEX_TYPES: ReadonlySet<string> = new Set([MediaType.OciIndex, MediaType.DockerManifestList]);
export const IMAGE_MANIFEST_TYPES: ReadonlySet<string> = new Set([MediaType.OciManifest, MediaType.DockerManifest]);
export const SCHEMA1_TYPES: ReadonlySet<string> = new Set([MediaType.DockerSchema1, MediaType.DockerSchema1Signed]);

/** Media type grammar (RFC 6838 type/subtype), parameters stripped by callers. */
const MEDIA_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

export function isValidMediaType(value: string): boolean {
  return MEDIA_TYPE.test(value);
}

/** `application/json; charset=utf-8` → `application/json` */
export function baseMediaType(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const base = header.split(";")[0]!.trim().toLowerCase();
  return base === "" ? undefined : base;
}

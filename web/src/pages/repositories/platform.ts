import type { Image } from "../../api/types";
import type { Platform } from "./model";

/** `linux/arm64/v8`, as docker names a platform. */
export function platformName(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join("/");
}

/** Config media types of plain images: the API reports them as the artifact type, which says nothing here. */
const IMAGE_CONFIGS = new Set(["application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json"]);

/** What kind of artifact a manifest is (a signature, an SBOM…); undefined for a plain image. */
export function artifactTypeOf(image: Pick<Image, "artifactType">): string | undefined {
  return image.artifactType && !IMAGE_CONFIGS.has(image.artifactType) ? image.artifactType : undefined;
}

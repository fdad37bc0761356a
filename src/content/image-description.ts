// What an image manifest, an index and an image config say about an image, for people: layers,
// platforms, the config's summary. Pure: bytes in, plain values out. The manifest was validated
// when it was pushed; a config is any blob, so every field is read defensively.
import { INDEX_TYPES } from "./mediatypes.js";

export interface DescribedBlob {
  digest: string;
  mediaType: string;
  size: number;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface DescribedChild extends DescribedBlob {
  platform?: Platform;
}

export type ManifestDescription =
  | { kind: "image"; config: DescribedBlob; layers: DescribedBlob[] }
  | { kind: "index"; manifests: DescribedChild[] };

export interface ConfigSummary {
  os?: string;
  architecture?: string;
  variant?: string;
  created?: string;
  entrypoint?: string[];
  cmd?: string[];
  labels?: Record<string, string>;
}

/** An image config of up to this many bytes is read for its summary; a bigger one is not. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Image configs: Docker's and OCI's; artifacts' configs say nothing about a platform. */
export const IMAGE_CONFIG_TYPES: ReadonlySet<string> = new Set(["application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json"]);

export function describeManifest(content: Uint8Array, mediaType: string): ManifestDescription {
  const doc = JSON.parse(Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString("utf8")) as Record<string, unknown>;
  if (INDEX_TYPES.has(mediaType)) {
    const manifests = (Array.isArray(doc.manifests) ? doc.manifests : []).map((d: unknown) => {
      const child: DescribedChild = blob(d);
      const platform = platformOf(isObject(d) ? d.platform : undefined);
      if (platform) child.platform = platform;
      return child;
    });
    return { kind: "index", manifests };
  }
  return { kind: "image", config: blob(doc.config), layers: (Array.isArray(doc.layers) ? doc.layers : []).map(blob) };
}

/** The summary of an image config's JSON; undefined when it is not JSON of an object. */
export function summarizeConfig(bytes: Uint8Array): ConfigSummary | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8"));
  } catch {
    return undefined;
  }
  if (!isObject(doc)) return undefined;
  const run = isObject(doc.config) ? doc.config : {};
  const summary: ConfigSummary = {};
  if (typeof doc.os === "string") summary.os = doc.os;
  if (typeof doc.architecture === "string") summary.architecture = doc.architecture;
  if (typeof doc.variant === "string") summary.variant = doc.variant;
  if (typeof doc.created === "string") summary.created = doc.created;
  const entrypoint = strings(run.Entrypoint);
  if (entrypoint) summary.entrypoint = entrypoint;
  const cmd = strings(run.Cmd);
  if (cmd) summary.cmd = cmd;
  if (isObject(run.Labels)) {
    const labels = Object.fromEntries(Object.entries(run.Labels).filter((e): e is [string, string] => typeof e[1] === "string"));
    if (Object.keys(labels).length > 0) summary.labels = labels;
  }
  return summary;
}

function blob(value: unknown): DescribedBlob {
  const d = isObject(value) ? value : {};
  return { digest: String(d.digest ?? ""), mediaType: String(d.mediaType ?? ""), size: typeof d.size === "number" ? d.size : 0 };
}

function platformOf(value: unknown): Platform | undefined {
  if (!isObject(value) || typeof value.os !== "string" || typeof value.architecture !== "string") return undefined;
  const platform: Platform = { os: value.os, architecture: value.architecture };
  if (typeof value.variant === "string") platform.variant = value.variant;
  return platform;
}

function strings(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === "string") ? (value as string[]) : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

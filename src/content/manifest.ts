// Parsing and validation of manifests from untrusted bytes. Pure: no I/O. The result lists what
// the manifest needs the repository to hold, so the service can check it in one query.
import { isUtf8 } from "node:buffer";
import { DigestError, parseDigest } from "./digest.js";
import {
  IMAGE_MANIFEST_TYPES,
  INDEX_TYPES,
  MediaType,
  NON_DISTRIBUTABLE_LAYERS,
  SCHEMA1_TYPES,
  baseMediaType,
  isValidMediaType,
} from "./mediatypes.js";

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface ParsedManifest {
  mediaType: string;
  kind: "image" | "index";
  /** `artifactType`, else the config media type of an image manifest (what referrers report) */
  artifactType: string | null;
  subject: Descriptor | null;
  annotations: Record<string, string> | null;
  /** config and layers that must be present in the repository */
  blobs: Descriptor[];
  /** child manifests that must be present in the repository */
  manifests: Descriptor[];
}

export class ManifestError extends Error {}

/** 4 MiB: the size the spec asks every registry to accept. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export function parseManifest(body: Uint8Array, contentType: string | undefined): ParsedManifest {
  // A lenient decoder would store U+FFFD in annotations while the stored bytes say otherwise.
  if (!isUtf8(body)) throw new ManifestError("manifest is not valid UTF-8 (JSON text must be UTF-8, RFC 8259)");
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8"));
  } catch {
    throw new ManifestError("manifest is not valid JSON");
  }
  if (!isObject(doc)) throw new ManifestError("manifest must be a JSON object");

  const headerType = baseMediaType(contentType);
  const declared = doc.mediaType;
  if (declared !== undefined && typeof declared !== "string") throw new ManifestError("mediaType must be a string");
  if (doc.schemaVersion === 1 || SCHEMA1_TYPES.has(declared ?? "") || SCHEMA1_TYPES.has(headerType ?? "")) {
    throw new ManifestError(
      "Docker image manifest schema 1 is deprecated and not supported; push schema 2 or OCI (e.g. skopeo copy --format v2s2)",
    );
  }
  if (doc.schemaVersion !== 2) throw new ManifestError("schemaVersion must be 2");

  const mediaType = resolveMediaType(doc, declared, headerType);
  const subject = doc.subject === undefined ? null : descriptor(doc.subject, "subject");
  const annotations = stringMap(doc.annotations, "annotations");
  const artifactType = optionalMediaType(doc.artifactType, "artifactType");

  if (INDEX_TYPES.has(mediaType)) {
    if (!Array.isArray(doc.manifests)) throw new ManifestError("manifests must be an array");
    const manifests = doc.manifests.map((d, i) => descriptor(d, `manifests[${i}]`));
    return { mediaType, kind: "index", artifactType, subject, annotations, blobs: [], manifests };
  }

  const config = descriptor(doc.config, "config");
  if (doc.layers !== undefined && !Array.isArray(doc.layers)) throw new ManifestError("layers must be an array");
  if (doc.layers === undefined && mediaType === MediaType.DockerManifest) throw new ManifestError("layers must be an array");
  const layers = ((doc.layers as unknown[] | undefined) ?? []).map((d, i) => descriptor(d, `layers[${i}]`));
  const blobs = [config, ...layers.filter((l) => !NON_DISTRIBUTABLE_LAYERS.has(l.mediaType))];
  return { mediaType, kind: "image", artifactType: artifactType ?? config.mediaType, subject, annotations, blobs, manifests: [] };
}

function resolveMediaType(doc: Record<string, unknown>, declared: string | undefined, headerType: string | undefined): string {
  const known = (t: string | undefined) => t !== undefined && (IMAGE_MANIFEST_TYPES.has(t) || INDEX_TYPES.has(t));
  if (declared !== undefined) {
    if (!known(declared)) throw new ManifestError(`unsupported manifest media type "${declared.slice(0, 100)}"`);
    if (known(headerType) && headerType !== declared) {
      throw new ManifestError(`Content-Type "${headerType}" does not match the manifest's mediaType "${declared}"`);
    }
    return declared;
  }
  if (known(headerType)) return headerType!;
  // OCI manifests may omit mediaType; recognise them by shape.
  if (Array.isArray(doc.manifests)) return MediaType.OciIndex;
  if (doc.config !== undefined) return MediaType.OciManifest;
  throw new ManifestError("cannot tell the manifest's media type: set mediaType or Content-Type");
}

function descriptor(value: unknown, where: string): Descriptor {
  if (!isObject(value)) throw new ManifestError(`${where} must be a descriptor object`);
  const { mediaType, digest, size } = value;
  if (typeof mediaType !== "string" || !isValidMediaType(mediaType)) throw new ManifestError(`${where}.mediaType is invalid`);
  if (typeof digest !== "string") throw new ManifestError(`${where}.digest must be a string`);
  try {
    parseDigest(digest);
  } catch (err) {
    throw new ManifestError(`${where}.digest: ${(err as DigestError).message}`);
  }
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
    throw new ManifestError(`${where}.size must be a non-negative integer`);
  }
  const result: Descriptor = { mediaType, digest, size };
  const artifactType = optionalMediaType(value.artifactType, `${where}.artifactType`);
  if (artifactType !== null) result.artifactType = artifactType;
  const annotations = stringMap(value.annotations, `${where}.annotations`);
  if (annotations !== null) result.annotations = annotations;
  return result;
}

function optionalMediaType(value: unknown, where: string): string | null {
  if (value === undefined) return null;
  if (typeof value !== "string" || !isValidMediaType(value)) throw new ManifestError(`${where} is not a valid media type`);
  return value;
}

function stringMap(value: unknown, where: string): Record<string, string> | null {
  if (value === undefined || value === null) return null;
  if (!isObject(value)) throw new ManifestError(`${where} must be an object of strings`);
  for (const v of Object.values(value)) {
    if (typeof v !== "string") throw new ManifestError(`${where} values must be strings`);
  }
  return value as Record<string, string>;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

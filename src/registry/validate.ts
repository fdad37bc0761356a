// Turns untrusted strings from the wire into validated values, or the spec's error.
import { parseDigest, type DigestError, type ParsedDigest } from "../content/digest.js";
import { isValidRepositoryName, isValidTag } from "../content/names.js";
import { RegistryError } from "./errors.js";

export function toDigest(value: string): ParsedDigest {
  try {
    return parseDigest(value);
  } catch (err) {
    const e = err as DigestError;
    throw new RegistryError(e.unsupported ? "UNSUPPORTED" : "DIGEST_INVALID", e.message, { digest: value.slice(0, 200) }, 400);
  }
}

export function requireRepositoryName(name: string): string {
  if (!isValidRepositoryName(name)) {
    throw new RegistryError("NAME_INVALID", "invalid repository name", { name: name.slice(0, 300) });
  }
  return name;
}

export type Reference = { kind: "digest"; digest: ParsedDigest } | { kind: "tag"; tag: string };

/** A manifest reference: a digest if it has the digest's shape (a colon), else a tag. */
export function toReference(value: string): Reference {
  if (value.includes(":")) return { kind: "digest", digest: toDigest(value) };
  if (!isValidTag(value)) throw new RegistryError("TAG_INVALID", "invalid tag", { tag: value.slice(0, 200) });
  return { kind: "tag", tag: value };
}

/**
 * A reference to look up (GET, HEAD, DELETE): a string that cannot be a tag names nothing, so it
 * is simply unknown (the conformance suite expects 404, not 400, for such a name).
 */
export function toLookupReference(value: string): Reference {
  if (!value.includes(":") && !isValidTag(value)) {
    throw new RegistryError("MANIFEST_UNKNOWN", "manifest unknown", { reference: value.slice(0, 200) });
  }
  return toReference(value);
}

/** `n` of a paginated list: a non-negative integer, capped at `max`. */
export function toPageSize(value: string | null, max: number): number | undefined {
  if (value === null) return undefined;
  if (!/^\d{1,9}$/.test(value)) {
    throw new RegistryError("PAGINATION_NUMBER_INVALID", "n must be a non-negative integer", { n: value.slice(0, 20) });
  }
  return Math.min(Number(value), max);
}

// Digests are `algorithm:encoded` (OCI image spec, "Digests"). Berth verifies sha256 and sha512;
// anything else is well-formed but unsupported.
import { createHash, type Hash } from "node:crypto";

export type DigestAlgorithm = "sha256" | "sha512";

const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
const GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export interface ParsedDigest {
  algorithm: DigestAlgorithm;
  hex: string;
  /** canonical `algorithm:hex` */
  digest: string;
}

export class DigestError extends Error {
  constructor(
    message: string,
    readonly unsupported = false,
  ) {
    super(message);
  }
}

/** Parses and validates a digest from untrusted input. Throws DigestError. */
export function parseDigest(value: string): ParsedDigest {
  if (value.length > 256 || !GRAMMAR.test(value)) throw new DigestError(`invalid digest "${truncate(value)}"`);
  const colon = value.indexOf(":");
  const algorithm = value.slice(0, colon);
  const hex = value.slice(colon + 1);
  if (algorithm !== "sha256" && algorithm !== "sha512") {
    throw new DigestError(`unsupported digest algorithm "${truncate(algorithm)}"`, true);
  }
  if (hex.length !== HEX_LENGTH[algorithm] || !/^[a-f0-9]+$/.test(hex)) {
    throw new DigestError(`invalid ${algorithm} digest "${truncate(value)}"`);
  }
  return { algorithm, hex, digest: value };
}

export function newHash(algorithm: DigestAlgorithm = "sha256"): Hash {
  return createHash(algorithm);
}

export function digestOf(data: Uint8Array | string, algorithm: DigestAlgorithm = "sha256"): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest("hex")}`;
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}

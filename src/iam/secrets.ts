// Auth tokens: generated here (never chosen by users), shown once, stored as SHA-256 only.
// They carry 192 random bits, so a fast hash is enough: there is nothing to brute-force.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** 32 URL-safe characters: easy to paste into `docker login`, no shell metacharacters. */
export function generateAuthToken(): string {
  return randomBytes(24).toString("base64url");
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** Constant-time comparison of two hex digests (or any two strings of equal length). */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}

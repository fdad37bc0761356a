// Console passwords at rest: scrypt with a per-password random salt, its parameters kept in the
// stored string (`scrypt$<N>$<r>$<p>$<salt>$<key>`, base64url), so they can be raised later
// without breaking the passwords already set. Users choose these, so unlike auth tokens they need
// a slow hash. scrypt runs on libuv's thread pool: a hash never blocks the event loop.
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from "node:crypto";

/** Characters a console password must have at least (NIST SP 800-63B asks 8; we ask more). */
export const MIN_PASSWORD_LENGTH = 12;
/** An upper bound, so a request cannot make the hash chew megabytes. */
export const MAX_PASSWORD_LENGTH = 1024;

/** N = 2^15, r = 8, p = 1: 32 MiB and about 0.1 s a hash here. */
const COST = { N: 1 << 15, r: 8, p: 1 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;

/** Why a password may not be set, or undefined when it may. */
export function passwordProblem(password: string): string | undefined {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return `a console password must be at least ${MIN_PASSWORD_LENGTH} characters`;
  if (length > MAX_PASSWORD_LENGTH) return `a console password must be at most ${MAX_PASSWORD_LENGTH} characters`;
  return undefined;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await scrypt(password, salt, KEY_BYTES, COST);
  return ["scrypt", COST.N, COST.r, COST.p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

/** Whether `password` matches `stored`; a damaged or unknown stored string matches nothing. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed || [...password].length > MAX_PASSWORD_LENGTH) return false;
  const key = await scrypt(password, parsed.salt, parsed.key.length, parsed.cost);
  return timingSafeEqual(key, parsed.key);
}

/**
 * Spends what a verification costs, for a login that has no password to check against: a user
 * without a console password (or no such user) must not answer faster than one with.
 */
export async function spendPasswordCheck(password: string): Promise<void> {
  await verifyPassword(password, DUMMY);
}

const DUMMY = ["scrypt", COST.N, COST.r, COST.p, Buffer.alloc(SALT_BYTES).toString("base64url"), Buffer.alloc(KEY_BYTES).toString("base64url")].join("$");

interface Parsed {
  cost: { N: number; r: number; p: number };
  salt: Buffer;
  key: Buffer;
}

function parse(stored: string): Parsed | undefined {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return undefined;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  // Bounds keep a damaged row from asking for gigabytes.
  if (!Number.isSafeInteger(N) || N < 2 || N > 1 << 20 || (N & (N - 1)) !== 0) return undefined;
  if (!Number.isSafeInteger(r) || r < 1 || r > 32 || !Number.isSafeInteger(p) || p < 1 || p > 16) return undefined;
  const salt = Buffer.from(parts[4]!, "base64url");
  const key = Buffer.from(parts[5]!, "base64url");
  if (salt.length < 8 || key.length < 16 || key.length > 64) return undefined;
  return { cost: { N, r, p }, salt, key };
}

function scrypt(password: string, salt: Buffer, length: number, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; Node refuses above `maxmem` (32 MiB by default), so allow twice that.
  const options: ScryptOptions = { ...cost, maxmem: 2 * 128 * cost.N * cost.r + 1024 * 1024 };
  return new Promise((resolve, reject) =>
    scryptCallback(password.normalize("NFC"), salt, length, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

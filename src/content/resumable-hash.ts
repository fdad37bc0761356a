// SHA-256 / SHA-512 whose running state can be saved with an upload and restored by any process
// on any node (native/resumable-hash.c, OpenSSL's own structs: node:crypto's speed).
import { createRequire } from "node:module";
import type { DigestAlgorithm } from "./digest.js";

interface Native {
  init(alg: number): Buffer;
  update(alg: number, state: Buffer, data: Uint8Array): void;
  digest(alg: number, state: Buffer): Buffer;
  save(alg: number, state: Buffer): Buffer;
  load(alg: number, saved: Uint8Array): Buffer;
}

const ALGORITHMS: Record<DigestAlgorithm, number> = { sha256: 1, sha512: 2 };

let native: Native | undefined;

/** The addon, built by `npm ci` (binding.gyp at the package root), loaded on first use. */
function addon(): Native {
  if (native) return native;
  const path = new URL("../../../build/Release/resumable_hash.node", import.meta.url);
  try {
    native = createRequire(import.meta.url)(path.pathname) as Native;
  } catch (err) {
    throw new Error(`the resumable-hash addon is missing (${(err as Error).message.split("\n")[0]}): run \`npm ci\` (or \`npm run build:native\`) with a C toolchain installed`);
  }
  return native;
}

export class ResumableHash {
  private constructor(
    readonly algorithm: DigestAlgorithm,
    private readonly live: Buffer,
  ) {}

  static create(algorithm: DigestAlgorithm = "sha256"): ResumableHash {
    return new ResumableHash(algorithm, addon().init(ALGORITHMS[algorithm]));
  }

  /** Continues from a `state()`; throws (code ERR_HASH_STATE) on a state that is damaged, of another algorithm or of another build. */
  static restore(algorithm: DigestAlgorithm, state: Uint8Array): ResumableHash {
    return new ResumableHash(algorithm, addon().load(ALGORITHMS[algorithm], state));
  }

  update(chunk: Uint8Array): this {
    addon().update(ALGORITHMS[this.algorithm], this.live, chunk);
    return this;
  }

  /** The running state in a tagged, checked form (~130 bytes for SHA-256), to store with the upload. */
  state(): Buffer {
    return addon().save(ALGORITHMS[this.algorithm], this.live);
  }

  /** `algorithm:hex` of everything hashed so far; the hash can go on afterwards. */
  digest(): string {
    return `${this.algorithm}:${addon().digest(ALGORITHMS[this.algorithm], this.live).toString("hex")}`;
  }
}

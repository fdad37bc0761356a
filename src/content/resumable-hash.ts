// SHA-256 / SHA-512 whose running state can be saved with an upload and restored by any process
// on any node (native/resumable-hash.c, OpenSSL's own structs: node:crypto's speed).
import { loadAddon } from "../native/addon.js";
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
/** Kept once loaded: `update` runs for every chunk of every upload. */
const addon = () => (native ??= loadAddon<Native>("resumable_hash"));

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

  /** An independent copy of the hash as it is now (a checkpoint to save later). */
  clone(): ResumableHash {
    return new ResumableHash(this.algorithm, Buffer.from(this.live));
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

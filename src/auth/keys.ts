// The keys that sign registry tokens: ES256, generated on first start and kept in the metadata
// database so every node shares them; rotation adds a key and retires the old one, which still
// verifies tokens until they expire. Published as a JWKS.
import { randomUUID } from "node:crypto";
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from "jose";
import type { IamStore } from "../iam/store.js";

interface LoadedKey {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
  createdAt: number;
  retiredAt: number | null;
}

export const ALGORITHM = "ES256";

export class KeyRing {
  private keys: LoadedKey[] = [];
  private lastReload = 0;

  constructor(
    private readonly store: IamStore,
    private readonly now: () => number,
    /** retired keys are kept for verification this long (longer than any token lives) */
    private readonly retention: number,
  ) {}

  async init(): Promise<void> {
    await this.reload();
    if (!this.active()) await this.rotate();
  }

  /** Adds a fresh signing key and retires the current one. */
  async rotate(): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair(ALGORITHM, { extractable: true });
    const kid = randomUUID();
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: ALGORITHM };
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: ALGORITHM, use: "sig" };
    const at = this.now();
    const current = this.active();
    await this.store.addSigningKey({ kid, privateJwk: JSON.stringify(privateJwk), publicJwk: JSON.stringify(publicJwk), createdAt: at, retiredAt: null });
    if (current) await this.store.retireSigningKey(current.kid, at);
    await this.reload();
    return kid;
  }

  /**
   * The key that signs new tokens. The key list is re-read from the store each time (a tiny
   * table, read only when a token is issued), so a rotation on any process or node applies at once.
   */
  async signing(): Promise<LoadedKey> {
    await this.reload();
    const key = this.active();
    if (!key) throw new Error("no active signing key");
    return key;
  }

  /** A key by id; reloads from the store (at most once a second) when another node rotated. */
  async verifying(kid: string): Promise<CryptoKey | undefined> {
    let key = this.keys.find((k) => k.kid === kid);
    if (!key && this.now() - this.lastReload > 1000) {
      await this.reload();
      key = this.keys.find((k) => k.kid === kid);
    }
    return key?.publicKey;
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    await this.reload();
    return { keys: this.keys.map((k) => k.publicJwk) };
  }

  private active(): LoadedKey | undefined {
    return this.keys.filter((k) => k.retiredAt === null).sort((a, b) => b.createdAt - a.createdAt)[0];
  }

  private async reload(): Promise<void> {
    this.lastReload = this.now();
    const cutoff = this.now() - this.retention;
    const loaded: LoadedKey[] = [];
    for (const k of await this.store.listSigningKeys()) {
      if (k.retiredAt !== null && k.retiredAt < cutoff) continue;
      const known = this.keys.find((x) => x.kid === k.kid);
      if (known) {
        // Importing keys is the slow part; only their retirement can change.
        loaded.push({ ...known, retiredAt: k.retiredAt });
        continue;
      }
      const publicJwk = JSON.parse(k.publicJwk) as JWK;
      loaded.push({
        kid: k.kid,
        privateKey: (await importJWK(JSON.parse(k.privateJwk) as JWK, ALGORITHM)) as CryptoKey,
        publicKey: (await importJWK(publicJwk, ALGORITHM)) as CryptoKey,
        publicJwk,
        createdAt: k.createdAt,
        retiredAt: k.retiredAt,
      });
    }
    this.keys = loaded;
  }
}

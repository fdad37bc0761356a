// Registry bearer tokens (Docker token authentication): short-lived JWTs naming exactly the
// actions granted per repository, plus long-lived refresh tokens for the OAuth2 flow. Both are
// bound to the auth token that obtained them, so deleting that auth token ends them at once.
import { randomUUID } from "node:crypto";
import { decodeProtectedHeader, jwtVerify, SignJWT, type JWTPayload } from "jose";
import { ALGORITHM, type KeyRing } from "./keys.js";

export interface ResourceAccess {
  type: "repository" | "registry";
  name: string;
  actions: string[];
}

export interface TokenSubject {
  /** principal name: `<namespace>/<user>` or `anonymous` */
  name: string;
  userId?: string;
  tenancy?: string;
  /** the auth token the client logged in with */
  tokenId?: string;
}

export interface VerifiedToken {
  subject: TokenSubject;
  access: ResourceAccess[];
  expiresAt: number;
}

export interface TokenSettings {
  issuer: string;
  service: string;
  ttl: number;
  refreshTtl: number;
}

interface Claims extends JWTPayload {
  access?: ResourceAccess[];
  uid?: string;
  ten?: string;
  tid?: string;
  use?: "access" | "refresh";
}

export class TokenService {
  /** verified tokens by their text: ES256 verification is the costliest step of a request */
  private readonly verified = new Map<string, VerifiedToken>();

  constructor(
    private readonly keys: KeyRing,
    private readonly settings: TokenSettings,
    private readonly now: () => number,
  ) {}

  get service(): string {
    return this.settings.service;
  }

  get ttlSeconds(): number {
    return Math.floor(this.settings.ttl / 1000);
  }

  issueAccess(subject: TokenSubject, access: ResourceAccess[]): Promise<string> {
    return this.sign(subject, { access, use: "access" }, this.settings.ttl);
  }

  issueRefresh(subject: TokenSubject): Promise<string> {
    return this.sign(subject, { use: "refresh" }, this.settings.refreshTtl);
  }

  /** Verifies an access token; undefined when it is invalid, expired or not ours. */
  async verifyAccess(token: string): Promise<VerifiedToken | undefined> {
    const cached = this.verified.get(token);
    if (cached) {
      if (cached.expiresAt > this.now()) return cached;
      this.verified.delete(token);
      return undefined;
    }
    const claims = await this.verify(token, "access");
    if (!claims) return undefined;
    const result: VerifiedToken = { subject: subjectOf(claims), access: claims.access ?? [], expiresAt: claims.exp! * 1000 };
    if (this.verified.size > 50_000) this.verified.clear();
    this.verified.set(token, result);
    return result;
  }

  async verifyRefresh(token: string): Promise<TokenSubject | undefined> {
    const claims = await this.verify(token, "refresh");
    return claims ? subjectOf(claims) : undefined;
  }

  private async sign(subject: TokenSubject, extra: Partial<Claims>, ttl: number): Promise<string> {
    const key = await this.keys.signing();
    const iat = Math.floor(this.now() / 1000);
    const claims: Claims = { ...extra };
    if (subject.userId) claims.uid = subject.userId;
    if (subject.tenancy) claims.ten = subject.tenancy;
    if (subject.tokenId) claims.tid = subject.tokenId;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: ALGORITHM, kid: key.kid, typ: "JWT" })
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.service)
      .setSubject(subject.name)
      .setIssuedAt(iat)
      .setNotBefore(iat - 1)
      .setExpirationTime(iat + Math.floor(ttl / 1000))
      .setJti(randomUUID())
      .sign(key.privateKey);
  }

  private async verify(token: string, use: "access" | "refresh"): Promise<Claims | undefined> {
    if (token.length > 16_384) return undefined;
    try {
      const { kid, alg } = decodeProtectedHeader(token);
      if (alg !== ALGORITHM || typeof kid !== "string") return undefined;
      const key = await this.keys.verifying(kid);
      if (!key) return undefined;
      const { payload } = await jwtVerify<Claims>(token, key, {
        algorithms: [ALGORITHM],
        issuer: this.settings.issuer,
        audience: this.settings.service,
        currentDate: new Date(this.now()),
      });
      return payload.use === use && typeof payload.sub === "string" && typeof payload.exp === "number" ? payload : undefined;
    } catch {
      return undefined;
    }
  }
}

function subjectOf(claims: Claims): TokenSubject {
  const subject: TokenSubject = { name: claims.sub! };
  if (typeof claims.uid === "string") subject.userId = claims.uid;
  if (typeof claims.ten === "string") subject.tenancy = claims.ten;
  if (typeof claims.tid === "string") subject.tokenId = claims.tid;
  return subject;
}

// Authentication with IAM: identifies the caller (Bearer registry token, HTTP Basic with an auth
// token, or anonymous) and words the Docker token auth challenge (realm, service, scope). What the
// caller may do is decided by `Authorization` (src/authz).
import type { IncomingMessage } from "node:http";
import { AccessCache } from "../iam/access-cache.js";
import { ANONYMOUS, userPrincipal, type Principal } from "../iam/principal.js";
import type { IamStore } from "../iam/store.js";
import { RegistryError } from "../registry/errors.js";
import type { Authenticator, Identity } from "./authorizer.js";
import type { CredentialVerifier } from "./credentials.js";
import type { TokenService, TokenSubject } from "./tokens.js";

export type { Identity } from "./authorizer.js";

export interface ChallengeSettings {
  /** fixed token endpoint URL; derived from the request's Host when absent */
  realm?: string;
  tls: boolean;
}

export class TokenAuthorizer implements Authenticator {
  /** principals by user id and auth token, while the IAM version stands still */
  private readonly users: AccessCache<Principal>;

  constructor(
    private readonly iam: IamStore,
    private readonly tokens: TokenService,
    private readonly credentials: CredentialVerifier,
    private readonly challenge: ChallengeSettings,
  ) {
    this.users = new AccessCache(iam);
  }

  /** Who is calling. Bad credentials are refused here, before any access question. */
  async identify(req: IncomingMessage): Promise<Identity> {
    const header = req.headers.authorization;
    if (!header) return { principal: ANONYMOUS };
    const space = header.indexOf(" ");
    const scheme = header.slice(0, space).toLowerCase();
    const value = header.slice(space + 1).trim();
    if (scheme === "bearer") {
      const bearer = await this.tokens.verifyAccess(value);
      if (!bearer || !(await this.alive(bearer.subject))) throw this.unauthorized(req, "invalid or expired token");
      return { principal: await this.principalOf(bearer.subject), bearer };
    }
    if (scheme === "basic") {
      const decoded = Buffer.from(value, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon < 0) throw this.unauthorized(req, "malformed Basic credentials");
      try {
        return { principal: await this.credentials.verify(decoded.slice(0, colon), decoded.slice(colon + 1), addressOf(req)) };
      } catch (err) {
        if (err instanceof RegistryError && err.code === "UNAUTHORIZED") throw this.unauthorized(req, err.message);
        throw err;
      }
    }
    throw this.unauthorized(req, "unsupported authorization scheme");
  }

  /** Drops a deleted auth token from this process's caches. */
  forgetToken(tokenId: string): void {
    this.credentials.forgetToken(tokenId);
  }

  /** The user (with groups) behind a token subject; anonymous when gone. */
  async principalOf(subject: TokenSubject): Promise<Principal> {
    const userId = subject.userId;
    if (!userId) return ANONYMOUS;
    const principal = await this.users.get(`${userId}\n${subject.tokenId ?? ""}`, async () => {
      const user = await this.iam.getUserById(userId);
      if (!user) return ANONYMOUS;
      return userPrincipal(user, await this.iam.groupsOfUser(user.id), subject.tokenId);
    });
    return principal ?? ANONYMOUS;
  }

  /**
   * A token obtained with an auth token lives only as long as that auth token. Checked in the
   * shared store on every request (one indexed lookup), so a deletion is seen at once by every
   * process and every node.
   */
  async alive(subject: TokenSubject): Promise<boolean> {
    return !subject.tokenId || this.iam.authTokenExists(subject.tokenId);
  }

  challengeFor(req: IncomingMessage, scope?: string, error?: string): string {
    const parts = [`realm="${this.realm(req)}"`, `service="${this.tokens.service}"`];
    if (scope) parts.push(`scope="${scope}"`);
    if (error) parts.push(`error="${error}"`);
    return `Bearer ${parts.join(",")}`;
  }

  private unauthorized(req: IncomingMessage, message: string, scope?: string, error?: string): RegistryError {
    return new RegistryError("UNAUTHORIZED", message, undefined, 401, { "WWW-Authenticate": this.challengeFor(req, scope, error) });
  }

  private realm(req: IncomingMessage): string {
    if (this.challenge.realm) return this.challenge.realm;
    const forwarded = req.headers["x-forwarded-proto"];
    const proto = typeof forwarded === "string" && /^https?$/.test(forwarded) ? forwarded : this.challenge.tls ? "https" : "http";
    const host = typeof req.headers.host === "string" && /^[A-Za-z0-9.:\[\]-]{1,300}$/.test(req.headers.host) ? req.headers.host : "localhost";
    return `${proto}://${host}/auth/token`;
  }
}

export function addressOf(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? "unknown";
}

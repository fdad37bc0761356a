// Authorization with IAM: identifies the caller (Bearer registry token, HTTP Basic with an auth
// token, or anonymous), then checks the route's access against the token's grants or, without a
// token, against the policies directly. Denials follow Docker token auth: a 401 Bearer challenge
// names the realm, service and scope to ask for.
import type { IncomingMessage } from "node:http";
import { AccessCache } from "../iam/access-cache.js";
import type { AuditLog } from "../iam/audit.js";
import { splitRepository } from "../iam/names.js";
import { ANONYMOUS, userPrincipal, type Principal } from "../iam/principal.js";
import type { IamStore } from "../iam/store.js";
import { RegistryError } from "../registry/errors.js";
import type { AccessRequest, Authorizer, RepositoryAction } from "./authorizer.js";
import type { CredentialVerifier } from "./credentials.js";
import type { AccessGranter } from "./grants.js";
import type { TokenService, TokenSubject, VerifiedToken } from "./tokens.js";

export interface Identity {
  principal: Principal;
  /** the registry token the request carried, if any */
  bearer?: VerifiedToken;
}

export interface ChallengeSettings {
  /** fixed token endpoint URL; derived from the request's Host when absent */
  realm?: string;
  tls: boolean;
}

export class TokenAuthorizer implements Authorizer {
  /** principals by user id and auth token, while the IAM version stands still */
  private readonly users: AccessCache<Principal>;

  constructor(
    private readonly iam: IamStore,
    private readonly tokens: TokenService,
    private readonly credentials: CredentialVerifier,
    private readonly granter: AccessGranter,
    private readonly audit: AuditLog,
    private readonly challenge: ChallengeSettings,
  ) {
    this.users = new AccessCache(iam);
  }

  async authorize(req: IncomingMessage, access: AccessRequest): Promise<Principal> {
    const { principal, bearer } = await this.identify(req);
    if (access.catalog) {
      const ok = bearer ? hasScope(bearer, "registry", "catalog", "*") : principal.kind !== "anonymous";
      if (!ok) this.deny(req, principal, "ListDockerRepositories", "registry:catalog:*", bearer !== undefined);
      return principal;
    }
    if (access.repository === undefined) {
      // `GET /v2/`: clients learn here that they must log in (docker login relies on it).
      if (principal.kind === "anonymous" && !bearer) throw this.unauthorized(req, "authentication required");
      return principal;
    }
    const repository = access.repository;
    const missing = bearer
      ? access.actions.filter((a) => !hasScope(bearer, "repository", repository, a))
      : await this.missingGrants(principal, repository, access.actions);
    if (missing.length > 0) {
      this.deny(req, principal, missing.join(","), `repository:${repository}:${access.actions.join(",")}`, bearer !== undefined);
    }
    return principal;
  }

  async visibleRepositories(principal: Principal, names: string[]): Promise<string[]> {
    return this.granter.visible(principal, names);
  }

  catalogPrefix(principal: Principal): string | undefined {
    return principal.kind === "user" ? `${principal.tenancy}/` : undefined;
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

  private async missingGrants(principal: Principal, repository: string, actions: RepositoryAction[]): Promise<RepositoryAction[]> {
    const granted = await this.granter.grant(principal, repository, actions);
    return actions.filter((a) => !granted.has(a));
  }

  private deny(req: IncomingMessage, principal: Principal, action: string, scope: string, hadToken: boolean): never {
    const target = scope.split(":")[1] ?? scope;
    this.audit.record({
      actor: principal,
      action: `${req.method} ${action}`,
      target,
      outcome: "denied",
      tenancy: splitRepository(target).namespace,
      address: addressOf(req),
    });
    if (principal.kind === "anonymous" || hadToken) {
      throw this.unauthorized(req, "authentication required", scope, hadToken ? "insufficient_scope" : undefined);
    }
    // The same words whether or not the repository exists: nothing leaks to those who may not see it.
    throw new RegistryError("DENIED", "requested access to the resource is denied", undefined, 403);
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

function hasScope(token: VerifiedToken, type: string, name: string, action: string): boolean {
  return token.access.some((a) => a.type === type && a.name === name && (a.actions.includes(action) || a.actions.includes("*")));
}

export function addressOf(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? "unknown";
}

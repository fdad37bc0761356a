// Auth tokens: at most `maxTokensPerUser` per user, shown once, stored as a hash.
import { randomUUID } from "node:crypto";
import { generateAuthToken, hashSecret } from "../iam/secrets.js";
import type { Principal } from "../iam/principal.js";
import type { AuthTokenRecord, User } from "../iam/store.js";
import type { AdminContext } from "./context.js";
import { AdminError, invalid, notFound } from "./errors.js";

export type AuthTokenView = Omit<AuthTokenRecord, "hash">;

/** Called when a token disappears, so caches that trust it drop it at once. */
export type TokenRevoked = (tokenId: string) => void;

export class TokenAdmin {
  private readonly revokedListeners: TokenRevoked[] = [];

  constructor(private readonly ctx: AdminContext) {}

  onRevoked(listener: TokenRevoked): void {
    this.revokedListeners.push(listener);
  }

  /** Creates a token for `tenancy/userName`; the returned token is the only time it is seen. */
  async create(actor: Principal, tenancy: string, userName: string, description = ""): Promise<{ token: string; record: AuthTokenView }> {
    const user = await this.user(tenancy, userName);
    const result = await this.issue(user, description);
    this.ctx.audit.record({ actor, action: "CreateAuthToken", target: `${tenancy}/${userName}`, outcome: "ok", tenancy });
    return result;
  }

  /** Issues a token without an access check (tenancy bootstrap). `given` lets the operator supply it. */
  async issue(user: User, description: string, given?: string): Promise<{ token: string; record: AuthTokenView }> {
    if (description.length > 400) throw invalid("description is longer than 400 characters");
    if (given !== undefined && given.length < 16) throw invalid("a supplied token must be at least 16 characters");
    const token = given ?? generateAuthToken();
    const record: AuthTokenRecord = {
      id: randomUUID(),
      userId: user.id,
      description,
      hash: hashSecret(token),
      createdAt: this.ctx.now(),
      lastUsedAt: null,
    };
    const max = this.ctx.settings.maxTokensPerUser;
    if (!(await this.ctx.iam.createAuthToken(record, max))) {
      throw new AdminError("limit", `user ${user.tenancy}/${user.name} already has ${max} auth tokens; delete one first`);
    }
    const { hash: _hash, ...view } = record;
    return { token, record: view };
  }

  async list(actor: Principal, tenancy: string, userName: string): Promise<AuthTokenView[]> {
    const user = await this.user(tenancy, userName);
    return (await this.ctx.iam.listAuthTokens(user.id)).map(({ hash: _hash, ...view }) => view);
  }

  async delete(actor: Principal, tenancy: string, userName: string, tokenId: string): Promise<void> {
    const user = await this.user(tenancy, userName);
    if (!(await this.ctx.iam.deleteAuthToken(user.id, tokenId))) throw notFound(`auth token ${tokenId}`);
    this.revoked(tokenId);
    this.ctx.audit.record({ actor, action: "DeleteAuthToken", target: `${tenancy}/${userName}`, outcome: "ok", tenancy, detail: tokenId });
  }

  /** Tells every listener that a token is gone. */
  revoked(tokenId: string): void {
    for (const listener of this.revokedListeners) listener(tokenId);
  }

  private async user(tenancy: string, userName: string): Promise<User> {
    const user = await this.ctx.iam.getUser(tenancy, userName);
    if (!user) throw notFound(`user ${tenancy}/${userName}`);
    return user;
  }
}

// Verifies `<namespace>/<user>` + auth token (HTTP Basic, the token endpoint, `docker login`).
// Failures are throttled per login and per address; a short cache of successes keeps clients
// that send Basic on every request cheap, and is dropped at once when a token is deleted.
import { splitLogin } from "../iam/names.js";
import type { Principal } from "../iam/principal.js";
import { hashSecret, sameSecret } from "../iam/secrets.js";
import type { IamStore } from "../iam/store.js";
import type { AuditLog } from "../iam/audit.js";
import { RegistryError } from "../registry/errors.js";
import { LoginThrottle, type ThrottleSettings } from "./rate-limit.js";


type UserPrincipal = Extract<Principal, { kind: "user" }>;

export class CredentialVerifier {
  private readonly throttle: LoginThrottle;
  private readonly cache = new Map<string, { principal: UserPrincipal; until: number }>();
  private readonly lastTouched = new Map<string, number>();

  constructor(
    private readonly iam: IamStore,
    private readonly audit: AuditLog,
    private readonly now: () => number,
    settings: ThrottleSettings,
  ) {
    this.throttle = new LoginThrottle(iam, settings, now);
  }

  /** The user behind the credentials, or UNAUTHORIZED / TOOMANYREQUESTS. */
  async verify(login: string, secret: string, address: string): Promise<UserPrincipal> {
    if (await this.throttle.blocked(login, address)) {
      throw new RegistryError("TOOMANYREQUESTS", "too many failed logins; try again later");
    }
    const hash = hashSecret(secret);
    const cacheKey = `${login}\n${hash}`;
    const hit = this.cache.get(cacheKey);
    // The cache spares the user and group look-ups; the token's existence is always re-checked.
    if (hit && hit.until > this.now() && (await this.iam.authTokenExists(hit.principal.tokenId!))) return hit.principal;

    const principal = await this.lookup(login, hash);
    if (!principal) {
      await this.throttle.fail(login, address);
      this.audit.record({
        actor: { kind: "anonymous", name: "anonymous" },
        action: "Login",
        target: login.slice(0, 200),
        outcome: "denied",
        tenancy: splitLogin(login)?.namespace ?? null,
        address,
      });
      throw new RegistryError("UNAUTHORIZED", "invalid username or auth token");
    }
    await this.throttle.succeed(login);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(cacheKey, { principal, until: this.now() + 2000 });
    this.touch(principal.tokenId!);
    return principal;
  }

  /** A deleted auth token stops working at once on this node. */
  forgetToken(tokenId: string): void {
    for (const [key, entry] of this.cache) if (entry.principal.tokenId === tokenId) this.cache.delete(key);
  }

  private async lookup(login: string, hash: string): Promise<UserPrincipal | undefined> {
    const parts = splitLogin(login);
    if (!parts || login.length > 300) return undefined;
    const token = await this.iam.findAuthTokenByHash(hash);
    if (!token || !sameSecret(token.hash, hash)) return undefined;
    const user = await this.iam.getUserById(token.userId);
    if (!user || user.tenancy !== parts.namespace || user.name !== parts.user) return undefined;
    const groups = await this.iam.groupsOfUser(user.id);
    return {
      kind: "user",
      name: `${user.tenancy}/${user.name}`,
      userId: user.id,
      tenancy: user.tenancy,
      userName: user.name,
      groups: groups.map((g) => g.name),
      tokenId: token.id,
    };
  }

  /** Records last use at most once a minute per token: a write per request would be waste. */
  private touch(tokenId: string): void {
    const now = this.now();
    if ((this.lastTouched.get(tokenId) ?? 0) > now - 60_000) return;
    this.lastTouched.set(tokenId, now);
    void this.iam.touchAuthToken(tokenId, now).catch(() => undefined);
  }
}

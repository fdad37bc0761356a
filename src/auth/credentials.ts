// Verifies `<namespace>/<user>` + auth token (HTTP Basic, the token endpoint, `docker login`).
// Failures are throttled per (login, address) and per address (rate-limit.ts). Successes are
// remembered while the IAM version stands still, which keeps clients that send Basic on every
// request cheap without letting a removed membership or token live on in any process.
import { splitLogin } from "../iam/names.js";
import { AccessCache } from "../iam/access-cache.js";
import { userPrincipal, type UserPrincipal } from "../iam/principal.js";
import { hashSecret, sameSecret } from "../iam/secrets.js";
import type { IamStore } from "../iam/store.js";
import type { AuditLog } from "../iam/audit.js";
import { RegistryError } from "../registry/errors.js";
import { LoginThrottle, type ThrottleSettings } from "./rate-limit.js";


/**
 * Throttled attempts may come in floods: each process audits a throttled (login, address) at most
 * this often, and an address throttled as a whole once for all the logins tried from it.
 */
const THROTTLED_AUDIT_EVERY_MS = 60_000;

export class CredentialVerifier {
  private readonly throttle: LoginThrottle;
  private readonly cache: AccessCache<UserPrincipal>;
  private readonly lastTouched = new Map<string, number>();
  private readonly lastThrottledAudit = new Map<string, number>();

  constructor(
    private readonly iam: IamStore,
    private readonly audit: AuditLog,
    private readonly now: () => number,
    settings: ThrottleSettings,
  ) {
    this.throttle = new LoginThrottle(iam, settings, now);
    this.cache = new AccessCache(iam);
  }

  /** The user behind the credentials, or UNAUTHORIZED / TOOMANYREQUESTS (with Retry-After). */
  async verify(login: string, secret: string, address: string): Promise<UserPrincipal> {
    return this.attempt(login, secret, address, "invalid username or auth token");
  }

  /**
   * Console sign-in (auth/sessions.ts): an auth token, or else what `password` finds (the user's
   * console password, never cached, so every guess pays the slow hash). Throttled and audited
   * with the same counters as `verify`.
   */
  async verifyConsole(
    login: string,
    secret: string,
    address: string,
    password: (login: string, secret: string) => Promise<UserPrincipal | undefined>,
  ): Promise<UserPrincipal> {
    return this.attempt(login, secret, address, "invalid username, auth token or password", password);
  }

  private byToken(login: string, secret: string): Promise<UserPrincipal | undefined> {
    const hash = hashSecret(secret);
    return this.cache.get(`${login}\n${hash}`, () => this.lookup(login, hash));
  }

  private async attempt(
    login: string,
    secret: string,
    address: string,
    refusal: string,
    password?: (login: string, secret: string) => Promise<UserPrincipal | undefined>,
  ): Promise<UserPrincipal> {
    const verdict = await this.throttle.check(login, address);
    if (!verdict.allowed) {
      const seconds = Math.max(1, Math.ceil(verdict.retryAfter / 1000));
      await this.auditThrottled(login, address, verdict.reason, seconds);
      throw new RegistryError("TOOMANYREQUESTS", `too many failed logins; try again in ${seconds} s`, undefined, 429, {
        "Retry-After": String(seconds),
      });
    }
    const principal = (await this.byToken(login, secret)) ?? (password ? await password(login, secret) : undefined);
    if (!principal) {
      await this.throttle.fail(login, address);
      this.audit.record({
        actor: { kind: "anonymous", name: "anonymous" },
        action: "Login",
        target: login.slice(0, 200),
        outcome: "denied",
        tenancy: await this.tenancyNamed(login),
        address,
      });
      throw new RegistryError("UNAUTHORIZED", refusal);
    }
    await this.throttle.succeed(login, address, verdict.failures);
    if (principal.tokenId) this.touch(principal.tokenId);
    return principal;
  }

  /** A deleted auth token stops working at once in this process (the IAM version tells the others). */
  forgetToken(tokenId: string): void {
    this.cache.deleteWhere((principal) => principal.tokenId === tokenId);
  }

  private async lookup(login: string, hash: string): Promise<UserPrincipal | undefined> {
    const parts = splitLogin(login);
    if (!parts || login.length > 300) return undefined;
    const token = await this.iam.findAuthTokenByHash(hash);
    if (!token || !sameSecret(token.hash, hash)) return undefined;
    const user = await this.iam.getUserById(token.userId);
    if (!user || user.tenancy !== parts.namespace || user.name !== parts.user) return undefined;
    return userPrincipal(user, await this.iam.groupsOfUser(user.id), token.id);
  }

  /**
   * Into the audit log of the tenancy the login names, if it exists: a name someone typed must
   * not leave events for whoever creates that tenancy later.
   */
  private async tenancyNamed(login: string): Promise<string | null> {
    const namespace = splitLogin(login)?.namespace;
    return namespace !== undefined && namespace.length <= 63 && (await this.iam.getTenancy(namespace)) ? namespace : null;
  }

  private async auditThrottled(login: string, address: string, reason: "user-address" | "address", seconds: number): Promise<void> {
    const key = reason === "address" ? address : `${login}\n${address}`;
    const now = this.now();
    if ((this.lastThrottledAudit.get(key) ?? -Infinity) > now - THROTTLED_AUDIT_EVERY_MS) return;
    if (this.lastThrottledAudit.size > 10_000) this.lastThrottledAudit.clear();
    this.lastThrottledAudit.set(key, now);
    this.audit.record({
      actor: { kind: "anonymous", name: "anonymous" },
      action: "Login",
      target: login.slice(0, 200),
      outcome: "throttled",
      tenancy: await this.tenancyNamed(login),
      address,
      detail:
        reason === "address"
          ? `too many failed logins from this address; refused unchecked for ${seconds} s`
          : `too many failed logins for this user from this address; refused unchecked for ${seconds} s`,
    });
  }

  /** Records last use at most once a minute per token: a write per request would be waste. */
  private touch(tokenId: string): void {
    const now = this.now();
    if ((this.lastTouched.get(tokenId) ?? 0) > now - 60_000) return;
    this.lastTouched.set(tokenId, now);
    void this.iam.touchAuthToken(tokenId, now).catch(() => undefined);
  }
}

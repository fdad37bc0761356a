// Failed-login throttling. After `perUserAddress` failures for one login from one address, or
// `perAddress` failures from one address whatever the login, within `window`, further attempts
// there are refused unchecked until the window that blocks them has passed. Never by login alone:
// whoever knows a user's name could then lock that user out everywhere. Counted in the shared
// metadata store, so every process and node enforces the same limits and an unlock reaches them all.
import type { IamStore, LoginFailures } from "../iam/store.js";

export interface ThrottleSettings {
  perUserAddress: number;
  perAddress: number;
  window: number;
}

/** Whether an attempt may go ahead, and what a success must clean up. */
export type Verdict =
  | { allowed: true; /** failures of this login from this address so far */ failures: number }
  | { allowed: false; /** ms until an attempt is allowed again */ retryAfter: number; reason: "user-address" | "address" };

export class LoginThrottle {
  constructor(
    private readonly store: IamStore,
    private readonly settings: ThrottleSettings,
    private readonly now: () => number,
  ) {}

  async check(login: string, address: string): Promise<Verdict> {
    const now = this.now();
    const pair = await this.store.loginFailures(userAddressKey(login, address), now);
    const fromAddress = await this.store.loginFailures(addressKey(address), now);
    const blockedPair = blocking(pair, this.settings.perUserAddress);
    const blockedAddress = blocking(fromAddress, this.settings.perAddress);
    if (!blockedPair && !blockedAddress) return { allowed: true, failures: pair?.count ?? 0 };
    const until = Math.max(blockedPair?.resetAt ?? 0, blockedAddress?.resetAt ?? 0);
    return { allowed: false, retryAfter: Math.max(until - now, 0), reason: blockedAddress ? "address" : "user-address" };
  }

  async fail(login: string, address: string): Promise<void> {
    const now = this.now();
    await this.store.addLoginFailure(userAddressKey(login, address), now, this.settings.window);
    await this.store.addLoginFailure(addressKey(address), now, this.settings.window);
  }

  /**
   * A success clears this login's failures from this address (not the address's: others may
   * guess from there). Only writes when there were failures, so logins that succeed cost no write.
   */
  async succeed(login: string, address: string, failures: number): Promise<void> {
    if (failures > 0) await this.store.clearLoginFailures(userAddressKey(login, address));
  }
}

/** Clears a login's failures from every address (`berth iam user unlock`). */
export async function unlockLogin(store: IamStore, login: string): Promise<void> {
  await store.clearLoginFailuresWithPrefix(userPrefix(login));
}

function blocking(failures: LoginFailures | undefined, limit: number): LoginFailures | undefined {
  return failures && failures.count >= limit ? failures : undefined;
}

// Logins are compared case-insensitively, so that case variants share one counter. A login's
// keys share a prefix, which is how unlock finds them all; addresses hold no newline, so the keys
// of two different logins never meet.
const userPrefix = (login: string) => `user:${login.toLowerCase().slice(0, 300)}\n`;
const userAddressKey = (login: string, address: string) => `${userPrefix(login)}${address}`;
const addressKey = (address: string) => `address:${address}`;

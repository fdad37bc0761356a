// Failed-login throttling: after `perUser` failures for one login, or `perAddress` from one
// address, within `window`, further attempts are refused until the window has passed. Counted
// in the shared metadata store, so every worker process and node enforces the same limits.
import type { IamStore } from "../iam/store.js";

export interface ThrottleSettings {
  perUser: number;
  perAddress: number;
  window: number;
}

export class LoginThrottle {
  constructor(
    private readonly store: IamStore,
    private readonly settings: ThrottleSettings,
    private readonly now: () => number,
  ) {}

  async blocked(login: string, address: string): Promise<boolean> {
    const now = this.now();
    return (
      (await this.store.loginFailures(userKey(login), now)) >= this.settings.perUser ||
      (await this.store.loginFailures(addressKey(address), now)) >= this.settings.perAddress
    );
  }

  async fail(login: string, address: string): Promise<void> {
    const now = this.now();
    await this.store.addLoginFailure(userKey(login), now, this.settings.window);
    await this.store.addLoginFailure(addressKey(address), now, this.settings.window);
  }

  /** A successful login clears the user's counter (not the address's: others may guess from there). */
  async succeed(login: string): Promise<void> {
    const key = userKey(login);
    if ((await this.store.loginFailures(key, this.now())) > 0) await this.store.clearLoginFailures(key);
  }
}

const userKey = (login: string) => `user:${login.toLowerCase().slice(0, 300)}`;
const addressKey = (address: string) => `address:${address}`;

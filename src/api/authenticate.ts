// Who sends an admin API request: HTTP Basic (`<namespace>/<user>` and an auth token), else a
// console session (the sessions module supplies that check), else anonymous. Registry (Bearer)
// tokens are for /v2 only: they are refused here.
import type { IncomingMessage } from "node:http";
import type { TokenAuthorizer } from "../auth/token-authorizer.js";
import { ANONYMOUS, type Principal } from "../iam/principal.js";
import { RegistryError } from "../registry/errors.js";
import { unauthorized } from "./admin-api.js";

/**
 * The console session of a request (cookie; CSRF checked for writes), undefined when it carries
 * none; throws a 401/403 error for a bad or expired one.
 */
export type SessionAuthenticator = (req: IncomingMessage) => Promise<Principal | undefined>;

export class ApiAuthentication {
  constructor(
    private readonly basic: Pick<TokenAuthorizer, "identify">,
    private readonly session?: SessionAuthenticator,
  ) {}

  async authenticate(req: IncomingMessage): Promise<Principal> {
    if (req.headers.authorization !== undefined) {
      if (/^bearer /i.test(req.headers.authorization)) throw unauthorized("registry tokens are for /v2 only; log in with HTTP Basic: <namespace>/<user> and an auth token");
      try {
        return (await this.basic.identify(req)).principal;
      } catch (err) {
        if (err instanceof RegistryError && err.code === "UNAUTHORIZED") throw unauthorized(err.message);
        throw err;
      }
    }
    return (await this.session?.(req)) ?? ANONYMOUS;
  }
}

// Who is calling: an Authenticator identifies the principal behind a request (and the registry
// token it carried) and words the challenge a client needs to log in. What that principal may do
// is decided elsewhere, once (src/authz). `OpenAuthenticator` serves an open registry
// (auth.enabled: false): everyone is anonymous, and nobody is challenged.
import type { IncomingMessage } from "node:http";
import { ANONYMOUS, type Principal } from "../iam/principal.js";
import type { VerifiedToken } from "./tokens.js";

export interface Identity {
  principal: Principal;
  /** the registry token the request carried, if any */
  bearer?: VerifiedToken;
}

export interface Authenticator {
  /** Who is calling; bad credentials are refused here (401), before any access question. */
  identify(req: IncomingMessage): Promise<Identity>;
  /** The `WWW-Authenticate` value telling a client where to log in (and for which scope). */
  challengeFor(req: IncomingMessage, scope?: string, error?: string): string;
}

export class OpenAuthenticator implements Authenticator {
  async identify(): Promise<Identity> {
    return { principal: ANONYMOUS };
  }

  challengeFor(): string {
    return 'Basic realm="berth"';
  }
}

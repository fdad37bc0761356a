// The one place where every request is authorized, before its handler acts. The router asks
// for the access a route needs; an Authorizer answers with who is asking or throws the spec's
// UNAUTHORIZED/DENIED. `AllowAll` runs an open registry (auth.enabled: false).
import type { IncomingMessage } from "node:http";
import { ANONYMOUS, type Principal } from "../iam/principal.js";

export type RepositoryAction = "pull" | "push" | "delete";

export interface AccessRequest {
  /** the repository acted on; absent for registry-wide endpoints (`/v2/`, the catalog) */
  repository?: string;
  actions: RepositoryAction[];
  /** listing repositories (`/v2/_catalog`) */
  catalog?: boolean;
}

export interface Authorizer {
  authorize(req: IncomingMessage, access: AccessRequest): Promise<Principal>;
  /** The catalog shows a principal only the repositories it may inspect. */
  visibleRepositories(principal: Principal, names: string[]): Promise<string[]>;
  /** A name prefix every repository visible to the principal starts with, if there is one. */
  catalogPrefix(principal: Principal): string | undefined;
}

export class AllowAll implements Authorizer {
  async authorize(): Promise<Principal> {
    return ANONYMOUS;
  }

  async visibleRepositories(_principal: Principal, names: string[]): Promise<string[]> {
    return names;
  }

  catalogPrefix(): string | undefined {
    return undefined;
  }
}

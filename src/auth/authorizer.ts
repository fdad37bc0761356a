// The one place where every request is authorized, before its handler acts. The router asks
// for the access a route needs; an Authorizer answers with who is asking or throws the spec's
// UNAUTHORIZED/DENIED. Until IAM lands, the registry runs open (AllowAll).
import type { IncomingMessage } from "node:http";

export type RepositoryAction = "pull" | "push" | "delete";

export interface AccessRequest {
  /** the repository acted on; absent for registry-wide endpoints (`/v2/`, the catalog) */
  repository?: string;
  actions: RepositoryAction[];
  /** listing repositories (`/v2/_catalog`) */
  catalog?: boolean;
}

export interface Principal {
  /** `anonymous` when no credentials were given */
  name: string;
}

export interface Authorizer {
  authorize(req: IncomingMessage, access: AccessRequest): Promise<Principal>;
}

export const ANONYMOUS: Principal = { name: "anonymous" };

export class AllowAll implements Authorizer {
  async authorize(): Promise<Principal> {
    return ANONYMOUS;
  }
}

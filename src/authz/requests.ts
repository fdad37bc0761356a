// A /v2 request's operations, decided once before its handler runs. Routes declare what they
// need (src/distribution/routes.ts); this turns the declaration into decisions and a refusal
// into the answer clients expect: 401 with a Bearer challenge naming every scope the request
// needs (so a client fetches the right token), or 403 DENIED with the reason.
import type { IncomingMessage } from "node:http";
import type { Authenticator } from "../auth/authorizer.js";
import { addressOf } from "../auth/token-authorizer.js";
import type { Operation } from "../iam/operations.js";
import type { Principal } from "../iam/principal.js";
import { RegistryError } from "../registry/errors.js";
import type { Authorization, Decision, DecisionFacts } from "./authorization.js";
import { REGISTRY, repositoryTarget } from "./target.js";

export interface Access {
  operation: Operation;
  /** the repository acted on; absent for registry-wide operations (`/v2/`, the catalog) */
  repository?: string;
  /** needed only when the repository does not exist yet (the first push creates it) */
  whenMissing?: boolean;
  /** wanted, not needed: without it the request goes on (a mount's source falls back to an upload) */
  optional?: boolean;
}

export interface AuthorizedRequest {
  principal: Principal;
  /** whether an optional access the route declared was granted */
  granted(operation: Operation, repository: string): boolean;
}

const SCOPE_ACTIONS: Partial<Record<Operation, string[]>> = {
  PullImage: ["pull"],
  // Distribution asks for pull with push: a pusher checks what is there before it uploads.
  PushImage: ["pull", "push"],
  CreateContainerRepository: ["pull", "push"],
  DeleteImage: ["delete"],
};
const ACTION_ORDER = ["pull", "push", "delete"];

export class RequestAuthorizer {
  constructor(
    private readonly authz: Authorization,
    private readonly authenticator: Authenticator,
    private readonly repositoryExists: (name: string) => Promise<boolean>,
  ) {}

  async authorize(req: IncomingMessage, accesses: Access[]): Promise<AuthorizedRequest> {
    const { principal, bearer } = await this.authenticator.identify(req);
    const facts: DecisionFacts = { address: addressOf(req), bearer };
    const silent: DecisionFacts = { ...facts, audit: false };
    let granted: Set<string> | undefined;
    for (const access of accesses) {
      const target = access.repository === undefined ? REGISTRY : repositoryTarget(access.repository);
      if (access.whenMissing) {
        const decision = await this.authz.decide(principal, access.operation, target, silent);
        if (decision.allowed || (await this.repositoryExists(access.repository!))) continue;
        throw this.refusal(req, accesses, await this.authz.decide(principal, access.operation, target, facts), facts);
      }
      const decision = await this.authz.decide(principal, access.operation, target, facts);
      if (decision.allowed) {
        if (access.optional) (granted ??= new Set()).add(key(access.operation, access.repository ?? ""));
        continue;
      }
      // A token without a scope the user's policies would grant: challenge, so the client asks for it.
      if (access.optional && !(bearer && decision.status === 401)) continue;
      throw this.refusal(req, accesses, decision, facts);
    }
    return { principal, granted: (operation, repository) => granted?.has(key(operation, repository)) ?? false };
  }

  private refusal(req: IncomingMessage, accesses: Access[], decision: Decision, facts: DecisionFacts): RegistryError {
    if (decision.allowed) throw new Error("a refusal needs a denial");
    if (decision.status === 403) return new RegistryError("DENIED", decision.reason, undefined, 403);
    const challenge = this.authenticator.challengeFor(req, scopeOf(accesses), facts.bearer ? "insufficient_scope" : undefined);
    return new RegistryError("UNAUTHORIZED", decision.reason, undefined, 401, { "WWW-Authenticate": challenge });
  }
}

/** `repository:<repo>:pull,push repository:<from>:pull`, `registry:catalog:*`, or none (`/v2/`). */
export function scopeOf(accesses: Access[]): string | undefined {
  const byRepository = new Map<string, Set<string>>();
  const scopes: string[] = [];
  for (const access of accesses) {
    if (access.repository === undefined) {
      if (access.operation === "ListDockerRepositories") scopes.push("registry:catalog:*");
      continue;
    }
    const actions = byRepository.get(access.repository) ?? new Set<string>();
    for (const action of SCOPE_ACTIONS[access.operation] ?? []) actions.add(action);
    byRepository.set(access.repository, actions);
  }
  for (const [repository, actions] of byRepository) {
    if (actions.size > 0) scopes.push(`repository:${repository}:${ACTION_ORDER.filter((a) => actions.has(a)).join(",")}`);
  }
  return scopes.length > 0 ? scopes.join(" ") : undefined;
}

function key(operation: Operation, repository: string): string {
  return `${operation} ${repository}`;
}

// The one authorization decision: may this principal do this operation on this target? Every
// surface (/v2, /auth, /api/v1, the offline CLI) asks here; nothing else decides. Denials are
// audited here, once; successful changes by the service that makes them.
import type { VerifiedToken } from "../auth/tokens.js";
import type { AccessControl } from "../iam/access.js";
import type { AuditLog } from "../iam/audit.js";
import { isPolicyOperation, OPERATIONS, OPERATOR_REACH, SELF_SERVICE, type Operation, type PolicyOperation } from "../iam/operations.js";
import { GRANTS, isRepositoryPermission, RESOURCES, VERBS, type Permission } from "../iam/policy/index.js";
import { isAdministrator, isAdministratorsGroup, type Principal, type UserPrincipal } from "../iam/principal.js";
import type { IamStore } from "../iam/store.js";
import { RegistryError } from "../registry/errors.js";
import { reasons } from "./reasons.js";
import { describeTarget, repositoryTarget, type Target } from "./target.js";

export type Decision = { allowed: true } | { allowed: false; status: 401 | 403; reason: string };

export interface DecisionFacts {
  /** client address, for the audit record */
  address?: string;
  /** the registry token the request carried (its scopes bound what it may do) */
  bearer?: VerifiedToken;
  /** false: decide silently (filters, token endpoint grants); default true for denials */
  audit?: boolean;
}

export interface Authorization {
  decide(principal: Principal, operation: Operation, target: Target, facts?: DecisionFacts): Promise<Decision>;
  /** decide; when denied throw RegistryError("DENIED", reason, undefined, 403) — or UNAUTHORIZED 401 for anonymous / bad credentials */
  require(principal: Principal, operation: Operation, target: Target, facts?: DecisionFacts): Promise<void>;
  /** repository names (`<tenancy>/<path>`) the principal may `operation`; never audits */
  filter(principal: Principal, operation: Operation, names: string[]): Promise<string[]>;
  /** a name prefix every repository the principal may see starts with (its tenancy's), if there is one */
  visiblePrefix(principal: Principal): string | undefined;
}

export interface AuthorizationSettings {
  /** the tenancy whose Administrators operate the whole registry (`auth.operator.namespace`) */
  operatorNamespace: string;
}

const ALLOWED: Decision = Object.freeze({ allowed: true });

/** The bearer scope action that covers a repository operation on /v2. */
const SCOPE_ACTIONS: Partial<Record<Operation, string>> = {
  PullImage: "pull",
  PushImage: "push",
  CreateContainerRepository: "push",
  DeleteImage: "delete",
};

export class PolicyAuthorization implements Authorization {
  constructor(
    private readonly iam: Pick<IamStore, "getRepositoryInfo" | "getUser" | "groupsOfUser">,
    private readonly access: AccessControl,
    private readonly audit: AuditLog,
    private readonly settings: AuthorizationSettings,
  ) {}

  async decide(principal: Principal, operation: Operation, target: Target, facts: DecisionFacts = {}): Promise<Decision> {
    const decision = facts.bearer ? await this.withToken(principal, operation, target, facts.bearer) : await this.judge(principal, operation, target);
    if (!decision.allowed && facts.audit !== false && !isTokenChallenge(decision, facts)) {
      await this.record(principal, operation, target, decision.reason, facts.address);
    }
    return decision;
  }

  async require(principal: Principal, operation: Operation, target: Target, facts?: DecisionFacts): Promise<void> {
    const decision = await this.decide(principal, operation, target, facts);
    if (decision.allowed) return;
    if (decision.status === 401) throw new RegistryError("UNAUTHORIZED", decision.reason, undefined, 401);
    throw new RegistryError("DENIED", decision.reason, undefined, 403);
  }

  async filter(principal: Principal, operation: Operation, names: string[]): Promise<string[]> {
    if (principal.kind === "local") return names;
    const out: string[] = [];
    for (const name of names) if ((await this.judge(principal, operation, repositoryTarget(name))).allowed) out.push(name);
    return out;
  }

  visiblePrefix(principal: Principal): string | undefined {
    return principal.kind === "user" && !this.isOperator(principal) ? `${principal.tenancy}/` : undefined;
  }

  /** Administrators of the operator tenancy, or the local operator. */
  isOperator(principal: Principal): boolean {
    if (principal.kind === "local") return true;
    return principal.kind === "user" && principal.tenancy === this.settings.operatorNamespace && isAdministrator(principal);
  }

  /**
   * A registry token bounds what a request may do to its scopes. A scope it lacks but the
   * principal's policies would grant is a challenge (401: fetch a new token), not a denial.
   */
  private async withToken(principal: Principal, operation: Operation, target: Target, bearer: VerifiedToken): Promise<Decision> {
    if (operation === "GetApiVersion") return ALLOWED;
    const covered = tokenCovers(bearer, operation, target);
    if (covered === undefined) return { allowed: false, status: 401, reason: "registry tokens are accepted on /v2 only" };
    if (covered) return ALLOWED;
    const policy = await this.judge(principal, operation, target);
    if (!policy.allowed) return policy;
    return { allowed: false, status: 401, reason: reasons.tokenScope(operation, describeTarget(target)) };
  }

  /** What the principal may do, by who it is and the policies (no token involved). */
  private async judge(principal: Principal, operation: Operation, target: Target): Promise<Decision> {
    if (target.kind === "repository" && target.path === "") return deny(`${target.tenancy} is not a repository of a tenancy: names are <tenancy>/<repository>`);
    if (principal.kind === "local") return ALLOWED;
    if (principal.kind === "user" && this.isOperator(principal) && operatorReaches(principal, operation, target)) return ALLOWED;
    if (principal.kind !== "user") {
      if (principal.kind === "anonymous" && operation === "PullImage" && target.kind === "repository" && (await this.isPublic(target))) return ALLOWED;
      return { allowed: false, status: 401, reason: reasons.authenticationRequired };
    }
    const requirement = OPERATIONS[operation];
    if (target.kind === "registry") {
      if (requirement === "AUTHENTICATED" || operation === "ListDockerRepositories") return ALLOWED;
      return deny(reasons.operatorsOnly(operation));
    }
    if (requirement === "OPERATOR") return deny(reasons.operatorsOnly(operation));
    if (requirement === "AUTHENTICATED") return ALLOWED;
    if (isPolicyOperation(operation) && isRepositoryPermission(OPERATIONS[operation])) return this.repository(principal, operation, target);
    // IAM operations: the tenancy wall, then Administrators, the user themself, or the policies.
    if (principal.tenancy !== target.tenancy) {
      return deny(requirement === "TENANCY_MEMBER" ? reasons.notInTenancy(operation, target.tenancy) : reasons.administratorsOnly(operation, target.tenancy));
    }
    if (requirement === "TENANCY_MEMBER" || isAdministrator(principal)) return ALLOWED;
    if (SELF_SERVICE.has(operation) && target.kind === "user" && target.user === principal.userName) return ALLOWED;
    if (!isPolicyOperation(operation)) return deny(reasons.administratorsOnly(operation, target.tenancy));
    // A policy never reaches the Administrators group, its members' credentials or their deletion:
    // whoever may manage users or groups could otherwise make themself an Administrator.
    if (await this.concernsAdministrators(operation, target)) return deny(reasons.administratorsGroup(operation, target.tenancy));
    const about = target.kind === "user" ? { targetUser: target.user } : target.kind === "group" ? { targetGroup: target.group } : {};
    if (await this.access.allowed(principal, { operation, tenancy: target.tenancy, ...about })) return ALLOWED;
    return deny(reasons.administratorsOrPolicy(operation, target.tenancy, lowestGrant(OPERATIONS[operation])));
  }

  private async concernsAdministrators(operation: PolicyOperation, target: Exclude<Target, { kind: "registry" }>): Promise<boolean> {
    if (target.kind === "group") return isAdministratorsGroup(target.group) && operation !== "ListGroupMembers";
    if (target.kind !== "user" || !ADMINISTRATOR_WRITES.has(operation)) return false;
    const user = await this.iam.getUser(target.tenancy, target.user);
    return user !== undefined && (await this.iam.groupsOfUser(user.id)).some((g) => isAdministratorsGroup(g.name));
  }

  private async repository(principal: UserPrincipal, operation: PolicyOperation, target: Exclude<Target, { kind: "registry" }>): Promise<Decision> {
    const path = target.kind === "repository" ? target.path : undefined;
    const may = (op: PolicyOperation) => this.access.allowed(principal, { operation: op, tenancy: target.tenancy, repository: path });
    if (await may(operation)) return ALLOWED;
    const publicPull = operation === "PullImage" && target.kind === "repository" && (await this.isPublic(target));
    if (publicPull) return ALLOWED;
    const name = describeTarget(target);
    if (principal.tenancy !== target.tenancy) return deny(reasons.repository(operation, name, false, false));
    // Inside the principal's own tenancy the reason may say what it can do instead.
    const mayRead = operation !== "PullImage" && (await may("PullImage"));
    const mayList = !mayRead && (await may("ListDockerRepositories"));
    return deny(reasons.repository(operation, name, mayRead, mayList));
  }

  private async isPublic(target: Target): Promise<boolean> {
    if (target.kind !== "repository" || target.path === "") return false;
    return (await this.iam.getRepositoryInfo(describeTarget(target)))?.isPublic === true;
  }

  /**
   * One record per denial, in the principal's tenancy; a principal of no tenancy (anonymous)
   * is recorded in the target's tenancy only when the target is public, else registry-wide (null):
   * a tenancy never learns what outsiders tried against what it keeps private.
   */
  private async record(principal: Principal, operation: Operation, target: Target, reason: string, address?: string): Promise<void> {
    const tenancy = principal.kind === "user" ? principal.tenancy : target.kind === "repository" && (await this.isPublic(target)) ? target.tenancy : null;
    this.audit.record({ actor: principal, action: operation, target: describeTarget(target), outcome: "denied", tenancy, address: address ?? null, detail: reason });
  }
}

/** Operators act registry-wide and in their own tenancy; in other tenancies they only look (OPERATOR_REACH). */
function operatorReaches(operator: UserPrincipal, operation: Operation, target: Target): boolean {
  if (OPERATIONS[operation] === "OPERATOR" || target.kind === "registry" || target.tenancy === operator.tenancy) return true;
  return OPERATOR_REACH.has(operation);
}

/** Operations on a member of Administrators that only Administrators may do, whatever the policies. */
const ADMINISTRATOR_WRITES: ReadonlySet<Operation> = new Set<Operation>(["DeleteUser", "UnlockUser", "CreateAuthToken", "DeleteAuthToken", "SetConsolePassword"]);

/** The least a policy says to grant `permission`: `manage users` for USER_CREATE. */
function lowestGrant(permission: Permission): string {
  for (const resource of RESOURCES) {
    const verb = VERBS.find((v) => GRANTS[resource][v].has(permission));
    if (verb !== undefined) return `${verb} ${resource}`;
  }
  return permission;
}

function deny(reason: string): Decision {
  return { allowed: false, status: 403, reason };
}

/** True/false when the operation is one a registry token speaks of; undefined when it is not. */
function tokenCovers(token: VerifiedToken, operation: Operation, target: Target): boolean | undefined {
  if (operation === "ListDockerRepositories" && target.kind === "registry") return hasScope(token, "registry", "catalog", "*");
  const action = SCOPE_ACTIONS[operation];
  if (action === undefined || target.kind !== "repository") return undefined;
  return hasScope(token, "repository", describeTarget(target), action);
}

function hasScope(token: VerifiedToken, type: string, name: string, action: string): boolean {
  return token.access.some((a) => a.type === type && a.name === name && (a.actions.includes(action) || a.actions.includes("*")));
}

function isTokenChallenge(decision: Decision, facts: DecisionFacts): boolean {
  return facts.bearer !== undefined && !decision.allowed && decision.status === 401 && decision.reason !== reasons.authenticationRequired;
}

/** An open registry (`auth.enabled: false`): everyone may do everything on /v2. */
export const OPEN_REGISTRY: Authorization = {
  async decide() {
    return ALLOWED;
  },
  async require() {},
  async filter(_principal, _operation, names) {
    return names;
  },
  visiblePrefix() {
    return undefined;
  },
};

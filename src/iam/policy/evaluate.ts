// Deciding whether statements allow a request. Deny by default: there are only Allow statements,
// and a request is allowed when at least one statement matches it entirely.
import type { Condition, Statement, Variable } from "./ast.js";
import { GRANTS, type Permission } from "./permissions.js";
import { matchWildcard } from "./wildcard.js";

export interface AccessContext {
  permission: Permission;
  /** the API operation, e.g. `ListDockerRepositories`; compared exactly */
  operation: string;
  /** the repository acted on; absent for registry-wide requests such as the catalog, and for IAM */
  repository?: string;
  /** the user an IAM request acts on (their details, credentials, deletion) */
  targetUser?: string;
  /** the group an IAM request acts on (its members, its deletion) */
  targetGroup?: string;
  userName: string;
  /** the names of the user's groups; compared case-insensitively */
  groups: string[];
  /**
   * The compartment the request's resource lives in, if the caller uses compartments. A
   * statement written `in compartment X` applies only when this names X (case-insensitively);
   * without it, such statements grant nothing. `in tenancy` statements always apply.
   */
  compartment?: string;
}

export function statementAllows(s: Statement, ctx: AccessContext): boolean {
  if (!GRANTS[s.resource][s.verb].has(ctx.permission)) return false;
  const userGroups = new Set(ctx.groups.map((g) => g.toLowerCase()));
  if (!s.groups.some((g) => userGroups.has(g.toLowerCase()))) return false;
  if (s.location.kind === "compartment") {
    if (ctx.compartment === undefined || ctx.compartment.toLowerCase() !== s.location.name.toLowerCase()) return false;
  }
  return s.condition === undefined || holds(s.condition, ctx);
}

/** The first statement that allows the request, for audit logs; undefined when denied. */
export function findAllowingStatement(statements: readonly Statement[], ctx: AccessContext): Statement | undefined {
  return statements.find((s) => statementAllows(s, ctx));
}

export function isAllowed(statements: readonly Statement[], ctx: AccessContext): boolean {
  return findAllowingStatement(statements, ctx) !== undefined;
}

function variableValue(variable: Variable, ctx: AccessContext): string | undefined {
  switch (variable) {
    case "target.repo.name":
      return ctx.repository;
    case "target.user.name":
      return ctx.targetUser;
    case "target.group.name":
      return ctx.targetGroup;
    case "request.permission":
      return ctx.permission;
    case "request.operation":
      return ctx.operation;
    case "request.user.name":
      return ctx.userName;
  }
}

function holds(c: Condition, ctx: AccessContext): boolean {
  switch (c.kind) {
    case "any":
      return c.conditions.some((x) => holds(x, ctx));
    case "all":
      return c.conditions.every((x) => holds(x, ctx));
    case "compare": {
      const actual = variableValue(c.variable, ctx);
      // OCI: a condition on a variable that does not apply to the request (target.repo.name when
      // listing the catalog) is false, whatever the operator. So `!=` can never widen a grant to
      // requests it says nothing about, and `repo = /x-*/` does not grant the catalog.
      if (actual === undefined) return false;
      // Permission names are identifiers: `'repository_read'` means REPOSITORY_READ. Repository
      // names match case-insensitively as OCI documents for conditions, so the seeds'
      // `/projectName-*/` matches Berth's (always lowercase) `projectname-web`.
      // Group names match case-insensitively everywhere in a policy.
      const ignoreCase = c.variable === "request.permission" || c.variable === "target.repo.name" || c.variable === "target.group.name";
      const matched =
        c.value.kind === "pattern"
          ? matchWildcard(c.value.pattern, actual, ignoreCase)
          : ignoreCase
            ? actual.toLowerCase() === c.value.value.toLowerCase()
            : actual === c.value.value;
      return c.operator === "=" ? matched : !matched;
    }
  }
}

// What a tenancy's policies grant: whether a principal holds a permission on a repository (or on a
// tenancy's repositories as a whole), or on the tenancy's users, groups, policies or audit log.
// Tenancy walls come first: no policy text can reach into another tenancy. The whole decision (operators, public repositories, IAM
// operations, bearer scopes, audit) is `Authorization`'s (src/authz), built on this.
import type { Logger } from "pino";
import { AccessCache } from "./access-cache.js";
import { OPERATIONS, type PolicyOperation } from "./operations.js";
import { isAllowed, parseStatement, type Statement } from "./policy/index.js";
import { isAdministrator, type Principal } from "./principal.js";
import type { IamStore } from "./store.js";

export interface AccessQuestion {
  operation: PolicyOperation;
  tenancy: string;
  /** repository path inside the tenancy (`oxar`, `project/web`); absent for tenancy-wide and IAM questions */
  repository?: string;
  /** the user or group an IAM question is about (`target.user.name`, `target.group.name`) */
  targetUser?: string;
  targetGroup?: string;
}

export class AccessControl {
  /** parsed policies by tenancy, while the IAM version stands still */
  private readonly cache: AccessCache<Statement[]>;

  constructor(
    private readonly store: IamStore,
    private readonly log: Logger,
  ) {
    this.cache = new AccessCache(store);
  }

  async allowed(principal: Principal, q: AccessQuestion): Promise<boolean> {
    if (principal.kind === "local") return true;
    if (principal.kind !== "user" || principal.tenancy !== q.tenancy) return false;
    if (isAdministrator(principal)) return true;
    const statements = await this.statements(q.tenancy);
    return isAllowed(statements, {
      permission: OPERATIONS[q.operation],
      operation: q.operation,
      repository: q.repository,
      targetUser: q.targetUser,
      targetGroup: q.targetGroup,
      userName: principal.userName,
      groups: principal.groups,
    });
  }

  /** Forgets a tenancy's policies at once in this process (every process drops them on its next request anyway). */
  invalidate(tenancy: string): void {
    this.cache.delete(tenancy);
  }

  private async statements(tenancy: string): Promise<Statement[]> {
    return (await this.cache.get(tenancy, () => this.load(tenancy)))!;
  }

  private async load(tenancy: string): Promise<Statement[]> {
    const statements: Statement[] = [];
    for (const policy of await this.store.listPolicies(tenancy)) {
      for (const text of policy.statements) {
        try {
          statements.push(parseStatement(text));
        } catch (err) {
          // Statements are validated when written; one that no longer parses grants nothing.
          this.log.warn({ tenancy, policy: policy.name, err: (err as Error).message }, "ignoring unparsable policy statement");
        }
      }
    }
    return statements;
  }
}

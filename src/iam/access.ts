// Decides whether a principal holds a permission on a repository (or on a tenancy's repositories
// as a whole). Tenancy walls come first: no policy text can reach into another tenancy.
import type { Logger } from "pino";
import { OPERATIONS, type Operation } from "./operations.js";
import { isAllowed, parseStatement, type Statement } from "./policy/index.js";
import { isAdministrator, type Principal } from "./principal.js";
import type { IamStore } from "./store.js";

export interface AccessQuestion {
  operation: Operation;
  tenancy: string;
  /** repository path inside the tenancy (`oxar`, `project/web`); absent for tenancy-wide questions */
  repository?: string;
}

export class AccessControl {
  private readonly cache = new Map<string, { statements: Statement[]; until: number }>();

  constructor(
    private readonly store: IamStore,
    private readonly log: Logger,
    /** how long a tenancy's parsed policies are reused; changes made on this node apply at once */
    private readonly cacheMs = 2000,
  ) {}

  async allowed(principal: Principal, q: AccessQuestion): Promise<boolean> {
    if (principal.kind === "local") return true;
    if (principal.kind !== "user" || principal.tenancy !== q.tenancy) return false;
    if (isAdministrator(principal)) return true;
    const statements = await this.statements(q.tenancy);
    return isAllowed(statements, {
      permission: OPERATIONS[q.operation],
      operation: q.operation,
      repository: q.repository,
      userName: principal.userName,
      groups: principal.groups,
    });
  }

  /** Forget cached policies of a tenancy (after a policy or group change). */
  invalidate(tenancy: string): void {
    this.cache.delete(tenancy);
  }

  private async statements(tenancy: string): Promise<Statement[]> {
    const hit = this.cache.get(tenancy);
    if (hit && hit.until > Date.now()) return hit.statements;
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
    this.cache.set(tenancy, { statements, until: Date.now() + this.cacheMs });
    return statements;
  }
}

// Policies: named lists of statements in OCI's policy language, validated when written.
import { randomUUID } from "node:crypto";
import { isValidIdentifier } from "../iam/names.js";
import { parseStatement, PolicyParseError } from "../iam/policy/index.js";
import type { Principal } from "../iam/principal.js";
import type { Policy } from "../iam/store.js";
import type { AdminContext } from "./context.js";
import { conflict, invalid, notFound } from "./errors.js";

export class PolicyAdmin {
  constructor(private readonly ctx: AdminContext) {}

  async create(actor: Principal, tenancy: string, input: { name: string; description?: string; statements: string[] }): Promise<Policy> {
    if (!(await this.ctx.iam.getTenancy(tenancy))) throw notFound(`tenancy ${tenancy}`);
    if (!isValidIdentifier(input.name)) throw invalid(`invalid policy name "${input.name}"`);
    const statements = validateStatements(input.statements);
    if (await this.ctx.iam.getPolicy(tenancy, input.name)) throw conflict(`policy ${input.name} already exists in ${tenancy}`);
    const policy: Policy = { id: randomUUID(), tenancy, name: input.name, description: input.description ?? "", statements, createdAt: this.ctx.now() };
    await this.ctx.iam.createPolicy(policy);
    this.ctx.access.invalidate(tenancy);
    this.ctx.audit.record({ actor, action: "CreatePolicy", target: `${tenancy}/${policy.name}`, outcome: "ok", tenancy, detail: JSON.stringify(statements) });
    return policy;
  }

  /**
   * Each statement checked as create and update would check it, without writing or auditing
   * anything (the console's editor calls this as the user types).
   */
  async check(actor: Principal, tenancy: string, statements: readonly string[]): Promise<StatementCheck[]> {
    if (!(await this.ctx.iam.getTenancy(tenancy))) throw notFound(`tenancy ${tenancy}`);
    return statements.map((text, index) => (index >= MAX_STATEMENTS ? { ok: false, message: `a policy holds at most ${MAX_STATEMENTS} statements`, column: 1 } : checkStatement(text)));
  }

  async list(actor: Principal, tenancy: string): Promise<Policy[]> {
    return this.ctx.iam.listPolicies(tenancy);
  }

  async get(actor: Principal, tenancy: string, name: string): Promise<Policy> {
    return this.policy(tenancy, name);
  }

  async update(actor: Principal, tenancy: string, name: string, changes: { statements?: string[]; description?: string }): Promise<Policy> {
    const policy = await this.policy(tenancy, name);
    const statements = changes.statements === undefined ? undefined : validateStatements(changes.statements);
    await this.ctx.iam.updatePolicy(policy.id, { statements, description: changes.description });
    this.ctx.access.invalidate(tenancy);
    this.ctx.audit.record({ actor, action: "UpdatePolicy", target: `${tenancy}/${name}`, outcome: "ok", tenancy, detail: JSON.stringify(changes) });
    return this.policy(tenancy, name);
  }

  async delete(actor: Principal, tenancy: string, name: string): Promise<void> {
    const policy = await this.policy(tenancy, name);
    await this.ctx.iam.deletePolicy(policy.id);
    this.ctx.access.invalidate(tenancy);
    this.ctx.audit.record({ actor, action: "DeletePolicy", target: `${tenancy}/${name}`, outcome: "ok", tenancy });
  }

  private async policy(tenancy: string, name: string): Promise<Policy> {
    const policy = await this.ctx.iam.getPolicy(tenancy, name);
    if (!policy) throw notFound(`policy ${tenancy}/${name}`);
    return policy;
  }
}

const MAX_STATEMENTS = 50;

export type StatementCheck = { ok: true } | { ok: false; message: string; column: number; length?: number };

function checkStatement(text: string): StatementCheck {
  try {
    parseStatement(text);
    return { ok: true };
  } catch (err) {
    if (!(err instanceof PolicyParseError)) throw err;
    return err.length === undefined ? { ok: false, message: err.reason, column: err.column } : { ok: false, message: err.reason, column: err.column, length: err.length };
  }
}

/** Every statement must parse; the first that does not is refused with its position and reason. */
function validateStatements(statements: unknown): string[] {
  if (!Array.isArray(statements) || statements.length === 0) throw invalid("a policy needs at least one statement");
  if (statements.length > MAX_STATEMENTS) throw invalid(`a policy holds at most ${MAX_STATEMENTS} statements`);
  return statements.map((text, index) => {
    if (typeof text !== "string") throw invalid(`statement ${index + 1} must be a string`);
    try {
      parseStatement(text);
    } catch (err) {
      if (err instanceof PolicyParseError) {
        throw invalid(`statement ${index + 1}: ${err.message}`, { statement: index + 1, column: err.column, reason: err.reason });
      }
      throw err;
    }
    return text.trim();
  });
}

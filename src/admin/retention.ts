// A tenancy's image retention policies, as the console API and the CLI manage them: the global
// one (retains everything until written), named overrides with their repositories, and the
// preview of what each would delete now. The caller has decided already (the API's router).
import type { Principal } from "../iam/principal.js";
import { planRetention, tenancyPolicies, type PolicyPlan } from "../lifecycle/retention.js";
import { invalidRules, RETAIN_ALL, type RetentionRules } from "../lifecycle/retention-rules.js";
import { GLOBAL_RETENTION_POLICY, type RetentionPolicyRecord } from "../metadata/store.js";
import type { AdminContext } from "./context.js";
import { conflict, invalid, notFound } from "./errors.js";
import { parseRepositoryName } from "./repositories.js";

const DEFAULT_COOLING = 86_400_000;
const POLICY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

export interface RetentionPolicyView {
  name: string;
  rules: RetentionRules;
  repositories: string[];
  /** null: the global policy as every tenancy starts with it, never written */
  createdAt: number | null;
  changedAt: number | null;
  /** when the last change starts to apply (the cooling period's end) */
  effectiveAt: number | null;
}

export interface RetentionPreview {
  at: number;
  policies: PolicyPlan[];
}

export class RetentionAdmin {
  constructor(private readonly ctx: AdminContext) {}

  private get cooling(): number {
    return this.ctx.settings.retentionCooling ?? DEFAULT_COOLING;
  }

  async getGlobal(actor: Principal, tenancy: string): Promise<RetentionPolicyView> {
    await this.tenancy(tenancy);
    return this.view((await tenancyPolicies(this.ctx.meta, tenancy))[0]!);
  }

  /** Replaces the global rules (fields left out are off); the change applies once the cooling period ends. */
  async updateGlobal(actor: Principal, tenancy: string, rules: Partial<RetentionRules>): Promise<RetentionPolicyView> {
    await this.tenancy(tenancy);
    const full = checked({ ...RETAIN_ALL, ...rules });
    await this.ctx.meta.putRetentionPolicy(tenancy, GLOBAL_RETENTION_POLICY, JSON.stringify(full), this.ctx.now(), "upsert");
    this.audit(actor, "UpdateRetentionPolicy", tenancy, GLOBAL_RETENTION_POLICY, full);
    return this.getGlobal(actor, tenancy);
  }

  async list(actor: Principal, tenancy: string): Promise<RetentionPolicyView[]> {
    await this.tenancy(tenancy);
    return (await tenancyPolicies(this.ctx.meta, tenancy)).slice(1).map((p) => this.view(p));
  }

  async get(actor: Principal, tenancy: string, name: string): Promise<RetentionPolicyView> {
    return this.view(await this.override(tenancy, name));
  }

  async create(actor: Principal, tenancy: string, input: { name: string; rules?: Partial<RetentionRules>; repositories?: string[] }): Promise<RetentionPolicyView> {
    await this.tenancy(tenancy);
    if (!POLICY_NAME.test(input.name) || input.name.toLowerCase() === GLOBAL_RETENTION_POLICY) {
      throw invalid(`invalid retention policy name "${input.name.slice(0, 120)}": letters, digits, _ . - (up to 100), not "${GLOBAL_RETENTION_POLICY}"`);
    }
    const rules = checked({ ...RETAIN_ALL, ...input.rules });
    const repositories = (input.repositories ?? []).map((r) => this.repository(tenancy, r));
    if (!(await this.ctx.meta.putRetentionPolicy(tenancy, input.name, JSON.stringify(rules), this.ctx.now(), "create"))) {
      throw conflict(`retention policy ${input.name} already exists in ${tenancy}`);
    }
    try {
      for (const repository of repositories) await this.add(actor, tenancy, input.name, repository, false);
    } catch (err) {
      // All or nothing: a repository held by another override undoes the creation.
      await this.ctx.meta.deleteRetentionPolicy(tenancy, input.name);
      throw err;
    }
    this.audit(actor, "CreateRetentionPolicy", tenancy, input.name, { rules, repositories });
    return this.get(actor, tenancy, input.name);
  }

  /** Changes the rules given (others stay as they are); the change applies once the cooling period ends. */
  async update(actor: Principal, tenancy: string, name: string, changes: Partial<RetentionRules>): Promise<RetentionPolicyView> {
    const current = await this.override(tenancy, name);
    const rules = checked({ ...(JSON.parse(current.rules) as RetentionRules), ...changes });
    if (!(await this.ctx.meta.putRetentionPolicy(tenancy, name, JSON.stringify(rules), this.ctx.now(), "update"))) throw notFound(`retention policy ${tenancy}/${name}`);
    this.audit(actor, "UpdateRetentionPolicy", tenancy, name, rules);
    return this.get(actor, tenancy, name);
  }

  /** Deletes an override; its repositories fall under the global policy. */
  async delete(actor: Principal, tenancy: string, name: string): Promise<void> {
    await this.override(tenancy, name);
    if (!(await this.ctx.meta.deleteRetentionPolicy(tenancy, name))) throw notFound(`retention policy ${tenancy}/${name}`);
    this.audit(actor, "DeleteRetentionPolicy", tenancy, name);
  }

  async addRepository(actor: Principal, tenancy: string, name: string, repository: string): Promise<RetentionPolicyView> {
    await this.override(tenancy, name);
    await this.add(actor, tenancy, name, this.repository(tenancy, repository));
    return this.get(actor, tenancy, name);
  }

  async removeRepository(actor: Principal, tenancy: string, name: string, repository: string): Promise<void> {
    await this.override(tenancy, name);
    if (!(await this.ctx.meta.removeRetentionRepository(tenancy, name, repository, this.ctx.now()))) {
      throw notFound(`repository ${repository.slice(0, 300)} in retention policy ${tenancy}/${name}`);
    }
    this.audit(actor, "UpdateRetentionPolicy", tenancy, name, { removed: repository });
  }

  /** What each policy (or only `name`) deletes now, ignoring the cooling period, with when each applies. */
  async preview(actor: Principal, tenancy: string, name?: string): Promise<RetentionPreview> {
    if (name === undefined || name === GLOBAL_RETENTION_POLICY) await this.tenancy(tenancy);
    else await this.override(tenancy, name);
    const at = this.ctx.now();
    return { at, policies: await planRetention(this.ctx.meta, tenancy, at, this.cooling, name) };
  }

  private async add(actor: Principal, tenancy: string, name: string, repository: string, audited = true): Promise<void> {
    const outcome = await this.ctx.meta.addRetentionRepository(tenancy, name, repository, this.ctx.now());
    if (outcome === "no-policy") throw notFound(`retention policy ${tenancy}/${name}`);
    if (typeof outcome === "object") throw conflict(`repository ${repository} is in retention policy ${outcome.heldBy} already; remove it there first`);
    if (outcome === "added" && audited) this.audit(actor, "UpdateRetentionPolicy", tenancy, name, { added: repository });
  }

  private view(p: RetentionPolicyRecord): RetentionPolicyView {
    const never = p.changedAt === 0;
    return {
      name: p.name,
      rules: JSON.parse(p.rules) as RetentionRules,
      repositories: p.repositories,
      createdAt: never ? null : p.createdAt,
      changedAt: never ? null : p.changedAt,
      effectiveAt: never ? null : p.changedAt + this.cooling,
    };
  }

  private async override(tenancy: string, name: string): Promise<RetentionPolicyRecord> {
    await this.tenancy(tenancy);
    const found = name === GLOBAL_RETENTION_POLICY ? undefined : (await this.ctx.meta.retentionPolicies(tenancy)).find((p) => p.name === name);
    if (!found) throw notFound(`retention policy ${tenancy}/${name.slice(0, 120)}`);
    return found;
  }

  private repository(tenancy: string, name: string): string {
    if (parseRepositoryName(name).namespace !== tenancy) throw invalid(`repository ${name.slice(0, 300)} is not in tenancy ${tenancy}`);
    return name;
  }

  private async tenancy(tenancy: string): Promise<void> {
    if (!(await this.ctx.iam.getTenancy(tenancy))) throw notFound(`tenancy ${tenancy}`);
  }

  private audit(actor: Principal, action: string, tenancy: string, name: string, detail?: unknown): void {
    this.ctx.audit.record({ actor, action, target: `${tenancy}/retention/${name}`, outcome: "ok", tenancy, detail: detail === undefined ? undefined : JSON.stringify(detail) });
  }
}

function checked(rules: RetentionRules): RetentionRules {
  const why = invalidRules(rules);
  if (why) throw invalid(why);
  return { notPulledForDays: rules.notPulledForDays, untaggedForDays: rules.untaggedForDays, keepNewest: rules.keepNewest, exemptTags: rules.exemptTags };
}

// What a tenancy uses, and the registry-wide views of the operator: every tenancy's repositories,
// usage and audit events (tenancy-less ones included).
import { splitRepository } from "../iam/names.js";
import type { Principal } from "../iam/principal.js";
import type { AuditEvent, AuditPosition, RepositoryInfo } from "../iam/store.js";
import type { Page } from "../metadata/store.js";
import type { AdminContext } from "./context.js";
import { notFound } from "./errors.js";
import { requireOperator, requireTenancyAdminOrOperator } from "./guard.js";
import type { RepositoryView } from "./repositories.js";

export interface TenancyUsage {
  namespace: string;
  repositoryLimit: number;
  repositories: number;
  tags: number;
  manifests: number;
  /** sum of the repositories' sizes: a blob shared by two repositories counts in both */
  size: number;
  pulls: number;
}

export class Overview {
  constructor(private readonly ctx: AdminContext) {}

  async tenancyUsage(actor: Principal, namespace: string): Promise<TenancyUsage> {
    requireTenancyAdminOrOperator(this.ctx, actor, namespace);
    return this.usageOf(namespace);
  }

  /** Usage of every tenancy, by namespace after `page.last`. */
  async usage(actor: Principal, page: Page): Promise<TenancyUsage[]> {
    requireOperator(this.ctx, actor);
    const tenancies = (await this.ctx.iam.listTenancies())
      .map((t) => t.namespace)
      .filter((ns) => page.last === undefined || ns > page.last)
      .sort()
      .slice(0, page.limit);
    const out: TenancyUsage[] = [];
    for (const namespace of tenancies) out.push(await this.usageOf(namespace));
    return out;
  }

  /** True for the registry's operators: the local CLI and Administrators of the operator tenancy. */
  isOperator(actor: Principal): boolean {
    try {
      requireOperator(this.ctx, actor);
      return true;
    } catch {
      return false;
    }
  }

  /** Every tenancy's repositories by name after `page.last`, with their statistics. */
  async repositories(actor: Principal, page: Page): Promise<RepositoryView[]> {
    requireOperator(this.ctx, actor);
    const names = await this.ctx.meta.listRepositories({ limit: page.limit, last: page.last });
    const infos = new Map<string, RepositoryInfo>();
    for (const namespace of new Set(names.map((n) => splitRepository(n).namespace))) {
      for (const info of await this.ctx.iam.listRepositoryInfos(namespace)) infos.set(info.name, info);
    }
    const stats = await this.ctx.meta.repositoryStats(names);
    // A repository of an open registry's days may have no tenancy row: it is private then.
    return names.map((name) => ({ ...(infos.get(name) ?? { name, isPublic: false, createdAt: 0 }), ...stats.get(name)! }));
  }

  /** The audit log of every tenancy and of the registry itself, newest first. */
  async audit(actor: Principal, limit: number, after?: AuditPosition): Promise<AuditEvent[]> {
    requireOperator(this.ctx, actor);
    await this.ctx.audit.flush();
    return this.ctx.iam.listAudit({ limit, after });
  }

  private async usageOf(namespace: string): Promise<TenancyUsage> {
    const tenancy = await this.ctx.iam.getTenancy(namespace);
    if (!tenancy) throw notFound(`tenancy ${namespace}`);
    const names = (await this.ctx.iam.listRepositoryInfos(namespace)).map((r) => r.name);
    const stats = await this.ctx.meta.repositoryStats(names);
    const usage: TenancyUsage = { namespace, repositoryLimit: tenancy.repositoryLimit, repositories: names.length, tags: 0, manifests: 0, size: 0, pulls: 0 };
    for (const s of stats.values()) {
      usage.tags += s.tags;
      usage.manifests += s.manifests;
      usage.size += s.size;
      usage.pulls += s.pulls;
    }
    return usage;
  }
}

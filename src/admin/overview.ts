// What a tenancy uses, and the registry-wide views of the operator: every tenancy's repositories,
// usage and audit events (tenancy-less ones included). The caller has decided already.
import { splitRepository } from "../iam/names.js";
import type { Principal } from "../iam/principal.js";
import type { AuditEvent, AuditPosition, RepositoryInfo } from "../iam/store.js";
import type { Page } from "../metadata/store.js";
import type { AdminContext } from "./context.js";
import { notFound } from "./errors.js";
import { REGISTRY } from "../authz/target.js";
import type { RepositoryView } from "./repositories.js";
import { DEFAULT_USAGE_DAYS, UsageAdmin, type UsageWindow } from "./usage.js";

export interface TenancyUsage {
  namespace: string;
  repositoryLimit: number;
  repositories: number;
  tags: number;
  manifests: number;
  /** sum of the repositories' sizes: a blob shared by two repositories counts in both */
  size: number;
  pulls: number;
  /** bytes of the blobs linked into its repositories, each blob once for the tenancy */
  storedBytes: number;
  /** bytes it may store (null: no quota) */
  storageQuota: number | null;
  /** pulls and egress over the last days */
  window: UsageWindow;
}

export class Overview {
  private readonly usageAdmin: UsageAdmin;

  constructor(private readonly ctx: AdminContext) {
    this.usageAdmin = new UsageAdmin(ctx);
  }

  async tenancyUsage(namespace: string, days = DEFAULT_USAGE_DAYS): Promise<TenancyUsage> {
    return this.usageOf(namespace, days);
  }

  /** Usage of every tenancy, by namespace after `page.last`. */
  async usage(page: Page, days = DEFAULT_USAGE_DAYS): Promise<TenancyUsage[]> {
    const tenancies = (await this.ctx.iam.listTenancies())
      .map((t) => t.namespace)
      .filter((ns) => page.last === undefined || ns > page.last)
      .sort()
      .slice(0, page.limit);
    const out: TenancyUsage[] = [];
    for (const namespace of tenancies) out.push(await this.usageOf(namespace, days));
    return out;
  }

  /** May `actor` see the whole registry (the operators)? Asked silently: a "no" is not a denial. */
  async seesRegistry(actor: Principal): Promise<boolean> {
    return (await this.ctx.authz.decide(actor, "ViewRegistry", REGISTRY, { audit: false })).allowed;
  }

  /** Every tenancy's repositories by name after `page.last`, with their statistics. */
  async repositories(page: Page): Promise<RepositoryView[]> {
    const names = await this.ctx.meta.listRepositories({ limit: page.limit, last: page.last, filter: page.filter });
    const infos = new Map<string, RepositoryInfo>();
    for (const namespace of new Set(names.map((n) => splitRepository(n).namespace))) {
      for (const info of await this.ctx.iam.listRepositoryInfos(namespace)) infos.set(info.name, info);
    }
    const stats = await this.ctx.meta.repositoryStats(names);
    // A repository of an open registry's days may have no tenancy row: it is private then.
    return names.map((name) => ({ ...(infos.get(name) ?? { name, isPublic: false, immutableTags: false, createdAt: 0 }), ...stats.get(name)! }));
  }

  /** The audit log of every tenancy and of the registry itself, newest first. */
  async audit(limit: number, after?: AuditPosition): Promise<AuditEvent[]> {
    await this.ctx.audit.flush();
    return this.ctx.iam.listAudit({ limit, after });
  }

  private async usageOf(namespace: string, days: number): Promise<TenancyUsage> {
    const tenancy = await this.ctx.iam.getTenancy(namespace);
    if (!tenancy) throw notFound(`tenancy ${namespace}`);
    const names = (await this.ctx.iam.listRepositoryInfos(namespace)).map((r) => r.name);
    const stats = await this.ctx.meta.repositoryStats(names);
    const usage: TenancyUsage = {
      namespace,
      repositoryLimit: tenancy.repositoryLimit,
      repositories: names.length,
      tags: 0,
      manifests: 0,
      size: 0,
      pulls: 0,
      storedBytes: await this.ctx.meta.tenancyStoredBytes(namespace),
      storageQuota: tenancy.storageQuota ?? null,
      window: await this.usageAdmin.window({ namespace }, days),
    };
    for (const s of stats.values()) {
      usage.tags += s.tags;
      usage.manifests += s.manifests;
      usage.size += s.size;
      usage.pulls += s.pulls;
    }
    return usage;
  }
}

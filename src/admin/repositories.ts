// Repositories as the console and CLI see them: create (public or private), list with sizes and
// pull counts, change visibility, delete. Every call is decided by `ctx.authz` (the tenancy's policies).
import { isValidRepositoryName } from "../content/names.js";
import { splitRepository } from "../iam/names.js";
import type { Principal } from "../iam/principal.js";
import type { RepositoryInfo } from "../iam/store.js";
import { RepositoryLimitReached, type RepositoryStats } from "../metadata/store.js";
import type { AdminContext } from "./context.js";
import { AdminError, conflict, invalid, notFound } from "./errors.js";

export interface RepositoryView extends RepositoryInfo, RepositoryStats {}

export class RepositoryAdmin {
  constructor(private readonly ctx: AdminContext) {}

  async create(actor: Principal, name: string, options: { isPublic?: boolean } = {}): Promise<RepositoryView> {
    const { namespace } = this.parse(name);
    // Existence and the tenancy's limit are decided by the store in the creating transaction.
    try {
      if (!(await this.ctx.meta.createRepository(name, this.ctx.now()))) throw conflict(`repository ${name} already exists`);
    } catch (err) {
      if (err instanceof RepositoryLimitReached) throw new AdminError("limit", err.message);
      throw err;
    }
    if (options.isPublic) await this.ctx.iam.setRepositoryPublic(name, true);
    this.ctx.audit.record({ actor, action: "CreateContainerRepository", target: name, outcome: "ok", tenancy: namespace, detail: options.isPublic ? "public" : "private" });
    return this.get(actor, name);
  }

  /** Repositories of a tenancy that the actor may inspect, with their statistics; `filter`: names containing it, ASCII case ignored. */
  async list(actor: Principal, tenancy: string, filter?: string): Promise<RepositoryView[]> {
    const needle = filter?.toLowerCase();
    // The tenancy's names are read whole anyway (each is decided), so the filter applies here.
    const infos = (await this.ctx.iam.listRepositoryInfos(tenancy)).filter((r) => needle === undefined || r.name.toLowerCase().includes(needle));
    const names = new Set(await this.ctx.authz.filter(actor, "ListDockerRepositories", infos.map((r) => r.name)));
    const visible: RepositoryInfo[] = infos.filter((info) => names.has(info.name));
    const stats = await this.ctx.meta.repositoryStats(visible.map((r) => r.name));
    return visible.map((info) => ({ ...info, ...stats.get(info.name)! }));
  }

  async get(actor: Principal, name: string): Promise<RepositoryView> {
    this.parse(name);
    const info = await this.ctx.iam.getRepositoryInfo(name);
    if (!info) throw notFound(`repository ${name}`);
    const stats = await this.ctx.meta.repositoryStats([name]);
    return { ...info, ...stats.get(name)! };
  }

  async setVisibility(actor: Principal, name: string, isPublic: boolean): Promise<RepositoryView> {
    const { namespace } = this.parse(name);
    if (!(await this.ctx.iam.setRepositoryPublic(name, isPublic))) throw notFound(`repository ${name}`);
    this.ctx.audit.record({ actor, action: "UpdateContainerRepository", target: name, outcome: "ok", tenancy: namespace, detail: isPublic ? "public" : "private" });
    return this.get(actor, name);
  }

  /** Changes visibility and/or tag immutability; each change audited. */
  async update(actor: Principal, name: string, changes: { isPublic?: boolean; immutableTags?: boolean }): Promise<RepositoryView> {
    const { namespace } = this.parse(name);
    if (changes.isPublic === undefined && changes.immutableTags === undefined) throw invalid("nothing to change: give isPublic and/or immutableTags");
    if (changes.isPublic !== undefined) await this.setVisibility(actor, name, changes.isPublic);
    if (changes.immutableTags !== undefined) {
      if (!(await this.ctx.iam.setRepositoryImmutableTags(name, changes.immutableTags))) throw notFound(`repository ${name}`);
      const detail = changes.immutableTags ? "immutable tags" : "mutable tags";
      this.ctx.audit.record({ actor, action: "UpdateContainerRepository", target: name, outcome: "ok", tenancy: namespace, detail });
    }
    return this.get(actor, name);
  }

  async delete(actor: Principal, name: string): Promise<void> {
    const { namespace } = this.parse(name);
    if (!(await this.ctx.meta.deleteRepository(name))) throw notFound(`repository ${name}`);
    this.ctx.audit.record({ actor, action: "DeleteContainerRepository", target: name, outcome: "ok", tenancy: namespace });
  }

  private parse(name: string): { namespace: string; path: string } {
    return parseRepositoryName(name);
  }
}

/** `<tenancy>/<path>`, or 400 INVALID saying what a repository name looks like. */
export function parseRepositoryName(name: string): { namespace: string; path: string } {
  const parts = splitRepository(name);
  if (!isValidRepositoryName(name) || parts.path === "") {
    throw invalid(`invalid repository name "${name.slice(0, 300)}": expected <tenancy-namespace>/<repository>, lowercase`);
  }
  return parts;
}

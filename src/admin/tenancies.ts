// Tenancies: created and removed by operators; each comes with its Administrators group.
import { randomUUID } from "node:crypto";
import { REGISTRY } from "../authz/target.js";
import { isValidIdentifier, isValidNamespace } from "../iam/names.js";
import { ADMINISTRATORS, type Principal } from "../iam/principal.js";
import type { Tenancy, User } from "../iam/store.js";
import type { AdminContext } from "./context.js";
import { conflict, invalid, notFound } from "./errors.js";
import type { TokenAdmin } from "./tokens.js";

export interface CreateTenancyInput {
  namespace: string;
  description?: string;
  repositoryLimit?: number;
  /** creates this user in the Administrators group and returns a first auth token for it */
  adminUser?: string;
  /** the admin's first token, when the operator supplies it (bootstrap from config) */
  adminToken?: string;
}

export class TenancyAdmin {
  constructor(
    private readonly ctx: AdminContext,
    private readonly tokens: TokenAdmin,
  ) {}

  async create(actor: Principal, input: CreateTenancyInput): Promise<{ tenancy: Tenancy; admin?: User; token?: string }> {
    if (!isValidNamespace(input.namespace)) {
      throw invalid(`invalid namespace "${input.namespace}": lowercase letters and digits, separated by . _ or -`);
    }
    const limit = input.repositoryLimit ?? this.ctx.settings.defaultRepositoryLimit;
    if (!Number.isSafeInteger(limit) || limit < 0) throw invalid("repositoryLimit must be a non-negative integer");
    if (input.adminUser !== undefined && !isValidIdentifier(input.adminUser)) throw invalid(`invalid user name "${input.adminUser}"`);
    if (await this.ctx.iam.getTenancy(input.namespace)) throw conflict(`tenancy ${input.namespace} already exists`);
    const now = this.ctx.now();
    const tenancy: Tenancy = { namespace: input.namespace, description: input.description ?? "", repositoryLimit: limit, storageQuota: null, createdAt: now };
    await this.ctx.iam.createTenancy(tenancy);
    const group = { id: randomUUID(), tenancy: tenancy.namespace, name: ADMINISTRATORS, description: "May do everything in this tenancy", createdAt: now };
    await this.ctx.iam.createGroup(group);
    this.ctx.audit.record({ actor, action: "CreateTenancy", target: tenancy.namespace, outcome: "ok", tenancy: tenancy.namespace });
    if (input.adminUser === undefined) return { tenancy };
    const admin: User = { id: randomUUID(), tenancy: tenancy.namespace, name: input.adminUser, description: "Tenancy administrator", createdAt: now };
    await this.ctx.iam.createUser(admin);
    await this.ctx.iam.addMember(group.id, admin.id);
    const { token } = await this.tokens.issue(admin, "initial administrator token", input.adminToken);
    return { tenancy, admin, token };
  }

  /** Every tenancy for the registry's operators; their own for everyone else. */
  async list(actor: Principal): Promise<Tenancy[]> {
    if ((await this.ctx.authz.decide(actor, "ListTenancies", REGISTRY, { audit: false })).allowed) return this.ctx.iam.listTenancies();
    if (actor.kind !== "user") {
      await this.ctx.authz.require(actor, "ListTenancies", REGISTRY);
      return [];
    }
    const own = await this.ctx.iam.getTenancy(actor.tenancy);
    return own ? [own] : [];
  }

  async get(actor: Principal, namespace: string): Promise<Tenancy> {
    const t = await this.ctx.iam.getTenancy(namespace);
    if (!t) throw notFound(`tenancy ${namespace}`);
    return t;
  }

  async update(actor: Principal, namespace: string, changes: { repositoryLimit?: number; description?: string; storageQuota?: number | null }): Promise<Tenancy> {
    // The limits are the operator's to set; a tenancy's admins may edit its description.
    if (changes.repositoryLimit !== undefined && (!Number.isSafeInteger(changes.repositoryLimit) || changes.repositoryLimit < 0)) {
      throw invalid("repositoryLimit must be a non-negative integer");
    }
    if (changes.storageQuota !== undefined && changes.storageQuota !== null && (!Number.isSafeInteger(changes.storageQuota) || changes.storageQuota < 0)) {
      throw invalid("storageQuota must be a non-negative number of bytes, or null for none");
    }
    if (!(await this.ctx.iam.updateTenancy(namespace, changes))) throw notFound(`tenancy ${namespace}`);
    this.ctx.audit.record({ actor, action: "UpdateTenancy", target: namespace, outcome: "ok", tenancy: namespace, detail: JSON.stringify(changes) });
    return (await this.ctx.iam.getTenancy(namespace))!;
  }

  /** Deletes an empty tenancy; one that still holds repositories is refused. */
  async delete(actor: Principal, namespace: string): Promise<void> {
    if (namespace === this.ctx.settings.operatorNamespace) throw invalid("the operator tenancy cannot be deleted");
    if (!(await this.ctx.iam.getTenancy(namespace))) throw notFound(`tenancy ${namespace}`);
    const refuseNonEmpty = async () => {
      const repositories = await this.ctx.iam.countRepositories(namespace);
      if (repositories > 0) throw conflict(`tenancy ${namespace} still has ${repositories} repositories; delete them first`);
    };
    await refuseNonEmpty();
    // The store checks again inside the deleting transaction: a first push may have come between.
    if (!(await this.ctx.iam.deleteTenancy(namespace))) {
      await refuseNonEmpty();
      throw notFound(`tenancy ${namespace}`);
    }
    this.ctx.access.invalidate(namespace);
    // Its retention policies go too: a tenancy created later under the name must not inherit them.
    await this.ctx.meta.deleteRetentionPolicies(namespace);
    this.ctx.audit.record({ actor, action: "DeleteTenancy", target: namespace, outcome: "ok", tenancy: namespace });
  }
}

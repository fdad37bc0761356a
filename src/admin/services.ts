// The admin services, assembled once: the console API and the CLI both call these.
import type { KeyRing } from "../auth/keys.js";
import type { Principal } from "../iam/principal.js";
import type { AuditEvent, AuditPosition, AuditQuery } from "../iam/store.js";
import type { AdminContext } from "./context.js";
import type { GcAdmin } from "./gc.js";
import { IdentityAdmin } from "./identities.js";
import { ImageAdmin } from "./images.js";
import { Overview } from "./overview.js";
import { PasswordAdmin } from "./passwords.js";
import { PermissionAdmin } from "./permissions.js";
import { PolicyAdmin } from "./policies.js";
import { RepositoryAdmin } from "./repositories.js";
import { RetentionAdmin } from "./retention.js";
import { TenancyAdmin } from "./tenancies.js";
import { TokenAdmin } from "./tokens.js";
import { UsageAdmin } from "./usage.js";

export class AdminServices {
  readonly tokens: TokenAdmin;
  readonly tenancies: TenancyAdmin;
  readonly identities: IdentityAdmin;
  readonly policies: PolicyAdmin;
  readonly repositories: RepositoryAdmin;
  readonly images: ImageAdmin;
  readonly overview: Overview;
  readonly passwords: PasswordAdmin;
  readonly retention: RetentionAdmin;
  readonly usage: UsageAdmin;
  readonly permissions: PermissionAdmin;

  constructor(
    readonly ctx: AdminContext,
    private readonly keys?: KeyRing,
    /** garbage collection on demand (absent where no registry storage is open) */
    readonly gc?: GcAdmin,
  ) {
    this.tokens = new TokenAdmin(ctx);
    this.tenancies = new TenancyAdmin(ctx, this.tokens);
    this.identities = new IdentityAdmin(ctx, this.tokens);
    this.policies = new PolicyAdmin(ctx);
    this.repositories = new RepositoryAdmin(ctx);
    this.images = new ImageAdmin(ctx);
    this.overview = new Overview(ctx);
    this.passwords = new PasswordAdmin(ctx);
    this.retention = new RetentionAdmin(ctx);
    this.usage = new UsageAdmin(ctx);
    this.permissions = new PermissionAdmin(ctx);
  }

  /** The audit log of a tenancy, newest first (its Administrators only); `after` continues a page. */
  async audit(actor: Principal, tenancy: string, limit: number, after?: AuditPosition, query: AuditQuery = {}): Promise<AuditEvent[]> {
    await this.ctx.audit.flush();
    return this.ctx.iam.listAudit({ ...query, tenancy, limit, after });
  }

  async rotateSigningKey(actor: Principal): Promise<string> {
    if (!this.keys) throw new Error("no key ring in this process");
    const kid = await this.keys.rotate();
    this.ctx.audit.record({ actor, action: "RotateSigningKey", target: kid, outcome: "ok", tenancy: null });
    return kid;
  }
}

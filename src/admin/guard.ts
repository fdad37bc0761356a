// Who may run which admin operation. Kept in one place so the console and the CLI agree.
import { isAdministrator, type Principal } from "../iam/principal.js";
import type { AdminContext } from "./context.js";
import { forbidden } from "./errors.js";

/** The registry's operators: the local CLI, or Administrators of the operator tenancy. */
export function requireOperator(ctx: AdminContext, actor: Principal): void {
  if (actor.kind === "local") return;
  if (actor.kind === "user" && actor.tenancy === ctx.settings.operatorNamespace && isAdministrator(actor)) return;
  throw forbidden("only registry operators may do this");
}

/** Administrators of `tenancy` (and the local operator). */
export function requireTenancyAdmin(actor: Principal, tenancy: string): void {
  if (actor.kind === "local") return;
  if (actor.kind === "user" && actor.tenancy === tenancy && isAdministrator(actor)) return;
  throw forbidden(`only Administrators of tenancy ${tenancy} may do this`);
}

/** The user themself, or an administrator of their tenancy. */
export function requireSelfOrAdmin(actor: Principal, tenancy: string, userId: string): void {
  if (actor.kind === "user" && actor.tenancy === tenancy && actor.userId === userId) return;
  requireTenancyAdmin(actor, tenancy);
}

/** Administrators of `tenancy`, or the registry's operators. */
export function requireTenancyAdminOrOperator(ctx: AdminContext, actor: Principal, tenancy: string): void {
  if (actor.kind === "user" && actor.tenancy === ctx.settings.operatorNamespace && isAdministrator(actor)) return;
  requireTenancyAdmin(actor, tenancy);
}

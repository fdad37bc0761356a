// "What may I do here?": which of a list of operations the caller may perform on one target, so
// the console (and scripts) can hide what would be refused. It only reveals the caller's own
// rights: the decision is the router's own, taken silently (asking is not an attempt).
import { groupTarget, repositoryTarget, tenancyTarget, userTarget, REGISTRY, type Target } from "../authz/index.js";
import { isValidIdentifier, isValidNamespace } from "../iam/names.js";
import { isOperation, type Operation } from "../iam/operations.js";
import type { Principal } from "../iam/principal.js";
import type { AdminContext } from "./context.js";
import { invalid } from "./errors.js";
import { parseRepositoryName } from "./repositories.js";

export const MAX_ASKED_OPERATIONS = 50;

/** The target asked about: a repository, a user, a group, or a tenancy (the caller's own by default). */
export interface PermissionTarget {
  repository?: string;
  user?: string;
  group?: string;
  tenancy?: string;
}

export class PermissionAdmin {
  constructor(private readonly ctx: AdminContext) {}

  /** The operations of `asked` that `actor` may do on the target, in the order asked, each once. */
  async allowed(actor: Principal, asked: readonly string[], where: PermissionTarget): Promise<Operation[]> {
    const operations = validOperations(asked);
    const target = targetOf(actor, where);
    const allowed: Operation[] = [];
    for (const operation of operations) {
      if ((await this.ctx.authz.decide(actor, operation, target, { audit: false })).allowed) allowed.push(operation);
    }
    return allowed;
  }
}

function validOperations(asked: readonly string[]): Operation[] {
  const names = [...new Set(asked.map((o) => o.trim()).filter((o) => o !== ""))];
  if (names.length === 0) throw invalid("operations: name at least one operation, e.g. ?operations=ListImages,DeleteImage");
  if (names.length > MAX_ASKED_OPERATIONS) throw invalid(`operations: at most ${MAX_ASKED_OPERATIONS} at once`, { count: names.length });
  const unknown = names.filter((o) => !isOperation(o));
  if (unknown.length > 0) {
    throw invalid(`unknown operation "${unknown[0]!.slice(0, 100)}"`, { unknown: unknown.slice(0, MAX_ASKED_OPERATIONS).map((o) => o.slice(0, 100)) });
  }
  return names as Operation[];
}

function targetOf(actor: Principal, where: PermissionTarget): Target {
  if (where.repository !== undefined) {
    if (where.user !== undefined || where.group !== undefined || where.tenancy !== undefined) throw invalid("give either repository, or user or group and/or tenancy");
    parseRepositoryName(where.repository);
    return repositoryTarget(where.repository);
  }
  const tenancy = where.tenancy ?? (actor.kind === "user" ? actor.tenancy : undefined);
  if (tenancy !== undefined && !isValidNamespace(tenancy)) throw invalid(`invalid tenancy "${tenancy.slice(0, 100)}"`);
  if (where.user !== undefined && where.group !== undefined) throw invalid("give either user or group");
  if (where.user !== undefined) {
    if (!isValidIdentifier(where.user)) throw invalid(`invalid user name "${where.user.slice(0, 100)}"`);
    if (tenancy === undefined) throw invalid("user: give the tenancy too (tenancy=)");
    return userTarget(tenancy, where.user);
  }
  if (where.group !== undefined) {
    if (!isValidIdentifier(where.group)) throw invalid(`invalid group name "${where.group.slice(0, 100)}"`);
    if (tenancy === undefined) throw invalid("group: give the tenancy too (tenancy=)");
    return groupTarget(tenancy, where.group);
  }
  return tenancy === undefined ? REGISTRY : tenancyTarget(tenancy);
}

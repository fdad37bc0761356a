// What an operation acts on: the registry, a tenancy (or a collection in it), one repository, one
// user or one group. Every target but the registry lives in exactly one tenancy.
import { splitRepository } from "../iam/names.js";

export type Target =
  /** `/v2/` base, the catalog, registry-wide (operator) views */
  | { kind: "registry" }
  /** a tenancy itself, or a collection in it (its users, groups, policies, audit) */
  | { kind: "tenancy"; tenancy: string }
  /** one repository `<tenancy>/<path>` (use repositoryTarget(name)) */
  | { kind: "repository"; tenancy: string; path: string }
  /** one user: self-service (own auth tokens, own console password) or admin */
  | { kind: "user"; tenancy: string; user: string }
  /** one group (its members, its deletion) */
  | { kind: "group"; tenancy: string; group: string };

export const REGISTRY: Target = { kind: "registry" };

export function repositoryTarget(name: string): Extract<Target, { kind: "repository" }> {
  const { namespace, path } = splitRepository(name);
  return { kind: "repository", tenancy: namespace, path };
}

export function tenancyTarget(tenancy: string): Target {
  return { kind: "tenancy", tenancy };
}

export function userTarget(tenancy: string, user: string): Target {
  return { kind: "user", tenancy, user };
}

export function groupTarget(tenancy: string, group: string): Target {
  return { kind: "group", tenancy, group };
}

export function tenancyOf(target: Target): string | undefined {
  return target.kind === "registry" ? undefined : target.tenancy;
}

/** The target as the audit log and reasons name it. */
export function describeTarget(target: Target): string {
  switch (target.kind) {
    case "registry":
      return "registry";
    case "tenancy":
      return target.tenancy;
    case "repository":
      return `${target.tenancy}/${target.path}`;
    case "user":
      return `${target.tenancy}/${target.user}`;
    case "group":
      return `${target.tenancy}/${target.group}`;
  }
}

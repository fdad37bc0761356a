// The decision's vocabulary as the API uses it: the targets of contract §1 and the operation
// names. Replaced by re-exports from src/authz and src/iam/operations.ts once those land.
import type { Operation } from "../iam/operations.js";

export type Target =
  | { kind: "registry" }
  | { kind: "tenancy"; tenancy: string }
  | { kind: "repository"; tenancy: string; path: string }
  | { kind: "user"; tenancy: string; user: string };

/** Operations of the admin API that the authorization engineer adds to OPERATIONS. */
export type AdminOperation =
  | "ListTenancies"
  | "CreateTenancy"
  | "GetTenancy"
  | "UpdateTenancy"
  | "UpdateTenancyLimit"
  | "DeleteTenancy"
  | "ListUsers"
  | "CreateUser"
  | "GetUser"
  | "DeleteUser"
  | "UnlockUser"
  | "ListGroups"
  | "CreateGroup"
  | "DeleteGroup"
  | "ListGroupMembers"
  | "AddUserToGroup"
  | "RemoveUserFromGroup"
  | "ListPolicies"
  | "GetPolicy"
  | "CreatePolicy"
  | "UpdatePolicy"
  | "DeletePolicy"
  | "ListAuthTokens"
  | "CreateAuthToken"
  | "DeleteAuthToken"
  | "SetConsolePassword"
  | "ReadAuditEvents"
  | "ReadUsage"
  | "ListTags"
  | "DeleteTag"
  | "ListImages"
  | "RotateSigningKey"
  | "ViewRegistry";

export type OperationName = Operation | AdminOperation;

/** `<tenancy>/<path>` as a repository target. */
export function repositoryTarget(name: string): Target {
  const slash = name.indexOf("/");
  return slash < 0 ? { kind: "repository", tenancy: name, path: "" } : { kind: "repository", tenancy: name.slice(0, slash), path: name.slice(slash + 1) };
}

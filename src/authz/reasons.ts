// The words of a denial: what the principal tried, said the way a person would.
import type { Operation } from "../iam/operations.js";

/** For repository operations the phrase is followed by the repository's name (or "it"). */
const PHRASES: Record<Operation, string> = {
  ListDockerRepositories: "list",
  GetContainerRepository: "see",
  PullImage: "pull from",
  PushImage: "push to",
  CreateContainerRepository: "create",
  DeleteImage: "delete images in",
  DeleteContainerRepository: "delete",
  UpdateContainerRepository: "change the settings of",
  ListTags: "list the tags of",
  ListImages: "list the images of",
  DeleteTag: "delete tags in",
  GetRetentionPolicy: "see the retention policies of",
  CreateRetentionPolicy: "create retention policies in",
  UpdateRetentionPolicy: "change the retention policies of",
  DeleteRetentionPolicy: "delete retention policies in",
  GetApiVersion: "use the registry API",
  GetTenancy: "see this tenancy",
  UpdateTenancy: "change this tenancy",
  ListUsers: "list users",
  CreateUser: "create users",
  GetUser: "see other users",
  DeleteUser: "delete users",
  UnlockUser: "unlock users",
  ListGroups: "list groups",
  CreateGroup: "create groups",
  DeleteGroup: "delete groups",
  ListGroupMembers: "list group members",
  AddUserToGroup: "add users to groups",
  RemoveUserFromGroup: "remove users from groups",
  ListPolicies: "list policies",
  GetPolicy: "read policies",
  CreatePolicy: "create policies",
  UpdatePolicy: "change policies",
  DeletePolicy: "delete policies",
  ReadAuditEvents: "read the audit log",
  ReadUsage: "read usage",
  ListAuthTokens: "list other users' auth tokens",
  CreateAuthToken: "create auth tokens for other users",
  DeleteAuthToken: "delete other users' auth tokens",
  SetConsolePassword: "set other users' console passwords",
  ListTenancies: "list every tenancy",
  CreateTenancy: "create tenancies",
  DeleteTenancy: "delete tenancies",
  UpdateTenancyLimit: "change a tenancy's repository limit",
  RotateSigningKey: "rotate the signing keys",
  ViewRegistry: "see the whole registry",
  RunGarbageCollection: "run garbage collection",
  ReadGarbageCollection: "see garbage collection runs",
};

export function phrase(operation: Operation): string {
  return PHRASES[operation];
}

export const reasons = {
  authenticationRequired: "authentication required",
  operatorsOnly: (op: Operation) => `only registry operators may ${phrase(op)}`,
  administratorsOnly: (op: Operation, tenancy: string) => `only Administrators of tenancy ${tenancy} may ${phrase(op)}`,
  /** `grant`: what a policy would say, e.g. `manage users` */
  administratorsOrPolicy: (op: Operation, tenancy: string, grant: string) =>
    `only Administrators of tenancy ${tenancy}, or groups a policy lets ${grant} in it, may ${phrase(op)}`,
  administratorsGroup: (op: Operation, tenancy: string) =>
    `only Administrators of tenancy ${tenancy} may ${phrase(op)} where Administrators are concerned (the group, its members and their credentials)`,
  notInTenancy: (op: Operation, tenancy: string) => `only members of tenancy ${tenancy} may ${phrase(op)}`,
  /** Said the same whether or not the repository exists. */
  repository: (op: Operation, name: string, mayRead: boolean, mayList: boolean) => {
    if (op !== "PullImage" && mayRead) return `you may read ${name} but not ${phrase(op)} it`;
    if (op !== "ListDockerRepositories" && op !== "GetContainerRepository" && mayList) return `you may see ${name} but not ${phrase(op)} it`;
    return `you may not ${phrase(op)} ${name}`;
  },
  tokenScope: (op: Operation, name: string) => `your token does not cover ${phrase(op)} ${name}; ask the token endpoint for a new one`,
};

// Every operation a caller can ask for, in one list, with what it needs. Repository and IAM
// operations carry the permission policies grant (OCIR's and OCI IAM's; the names are what
// `request.operation` matches in policy conditions), and a tenancy's Administrators hold them
// all; a user's own credentials are that user's (SELF_SERVICE); operator operations belong to the
// registry's operators alone.
import type { Permission } from "./policy/index.js";

/** Who can be given an operation that no permission covers. */
export type Authority =
  /** Administrators of the target's tenancy (and the registry's operators) */
  | "TENANCY_ADMIN"
  /** any user of the target's tenancy (and the registry's operators) */
  | "TENANCY_MEMBER"
  /** any authenticated principal */
  | "AUTHENTICATED"
  /** the registry's operators only */
  | "OPERATOR";

export type Requirement = Permission | Authority;

export const OPERATIONS = {
  // --- repositories (granted by policies) ---
  /** `GET /v2/_catalog` and listing repositories in the console */
  ListDockerRepositories: "REPOSITORY_INSPECT",
  /** seeing a repository's details (tags, sizes) in the console */
  GetContainerRepository: "REPOSITORY_INSPECT",
  /** manifests, blobs, tags list, referrers */
  PullImage: "REPOSITORY_READ",
  /** blob uploads and manifest PUT */
  PushImage: "REPOSITORY_UPDATE",
  /** the first push to a missing repository, or creating it explicitly */
  CreateContainerRepository: "REPOSITORY_CREATE",
  /** manifest, tag and blob DELETE */
  DeleteImage: "REPOSITORY_DELETE",
  DeleteContainerRepository: "REPOSITORY_DELETE",
  /** visibility (public/private) and other repository settings */
  UpdateContainerRepository: "REPOSITORY_MANAGE",
  /** a repository's tags and images in the console */
  ListTags: "REPOSITORY_READ",
  ListImages: "REPOSITORY_READ",
  DeleteTag: "REPOSITORY_DELETE",
  /** a tenancy's image retention policies: reading them and their preview; changing them needs `manage repos` */
  GetRetentionPolicy: "REPOSITORY_INSPECT",
  CreateRetentionPolicy: "REPOSITORY_MANAGE",
  UpdateRetentionPolicy: "REPOSITORY_MANAGE",
  DeleteRetentionPolicy: "REPOSITORY_MANAGE",

  // --- the registry itself ---
  /** `GET /v2/`: the version check that tells clients to log in */
  GetApiVersion: "AUTHENTICATED",

  // --- a tenancy's IAM (granted by policies on users, groups, policies, audit-events) ---
  GetTenancy: "TENANCY_MEMBER",
  UpdateTenancy: "TENANCY_ADMIN",
  ListUsers: "USER_INSPECT",
  CreateUser: "USER_CREATE",
  GetUser: "USER_READ",
  DeleteUser: "USER_DELETE",
  UnlockUser: "USER_UNBLOCK",
  ListGroups: "GROUP_INSPECT",
  CreateGroup: "GROUP_CREATE",
  DeleteGroup: "GROUP_DELETE",
  ListGroupMembers: "GROUP_READ",
  /** in or out of Administrators: Administrators only, whatever the policies */
  AddUserToGroup: "GROUP_UPDATE",
  RemoveUserFromGroup: "GROUP_UPDATE",
  ListPolicies: "POLICY_READ",
  GetPolicy: "POLICY_READ",
  CreatePolicy: "POLICY_CREATE",
  UpdatePolicy: "POLICY_UPDATE",
  DeletePolicy: "POLICY_DELETE",
  ReadAuditEvents: "AUDIT_EVENT_READ",
  ReadUsage: "TENANCY_ADMIN",
  ListAuthTokens: "USER_READ",
  CreateAuthToken: "USER_UPDATE",
  DeleteAuthToken: "USER_UPDATE",
  SetConsolePassword: "USER_UPDATE",

  // --- the registry's operators ---
  /** every tenancy (others see their own through GetTenancy) */
  ListTenancies: "OPERATOR",
  CreateTenancy: "OPERATOR",
  DeleteTenancy: "OPERATOR",
  UpdateTenancyLimit: "OPERATOR",
  RotateSigningKey: "OPERATOR",
  /** registry-wide views: every tenancy's repositories, usage and audit */
  ViewRegistry: "OPERATOR",
  /** garbage collection on demand (`berth gc`), and reading how the last or current run went */
  RunGarbageCollection: "OPERATOR",
  ReadGarbageCollection: "OPERATOR",
} as const satisfies Record<string, Requirement>;

export type Operation = keyof typeof OPERATIONS;

/**
 * What the registry's operators may do inside other tenancies: look (repositories, tags, images,
 * usage, audit), describe a tenancy and lift a login throttle. Never read or change a tenancy's
 * images or identities: that stays with its Administrators (recovery: the offline CLI).
 */
export const OPERATOR_REACH: ReadonlySet<Operation> = new Set<Operation>([
  "ListDockerRepositories",
  "GetContainerRepository",
  "ListTags",
  "ListImages",
  "GetTenancy",
  "UpdateTenancy",
  "ReadUsage",
  "ReadAuditEvents",
  "UnlockUser",
  "GetRetentionPolicy",
]);

/** Operations a user may always do to themself: their own details and credentials. */
export const SELF_SERVICE: ReadonlySet<Operation> = new Set<Operation>(["GetUser", "ListAuthTokens", "CreateAuthToken", "DeleteAuthToken", "SetConsolePassword"]);

/** Operations a policy statement can grant (they carry a permission). */
export type PolicyOperation = { [K in Operation]: (typeof OPERATIONS)[K] extends Permission ? K : never }[Operation];

const AUTHORITIES: ReadonlySet<string> = new Set<Authority>(["TENANCY_ADMIN", "TENANCY_MEMBER", "AUTHENTICATED", "OPERATOR"]);

export function isPolicyOperation(operation: Operation): operation is PolicyOperation {
  return !AUTHORITIES.has(OPERATIONS[operation]);
}

export function isOperation(value: string): value is Operation {
  return Object.hasOwn(OPERATIONS, value);
}

// Every operation a caller can ask for, in one list, with what it needs. Repository operations
// carry the OCIR permission that policies grant (the names are what `request.operation` matches in
// policy conditions); IAM operations belong to a tenancy's Administrators (and a user's own
// credentials to that user); operator operations to the registry's operators alone.
import type { Permission } from "./policy/index.js";

/** Who can be given an operation that no repository permission covers. */
export type Authority =
  /** Administrators of the target's tenancy (and the registry's operators) */
  | "TENANCY_ADMIN"
  /** the user named by the target themself, or as TENANCY_ADMIN */
  | "SELF_OR_TENANCY_ADMIN"
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

  // --- a tenancy's IAM ---
  GetTenancy: "TENANCY_MEMBER",
  UpdateTenancy: "TENANCY_ADMIN",
  ListUsers: "TENANCY_ADMIN",
  CreateUser: "TENANCY_ADMIN",
  GetUser: "SELF_OR_TENANCY_ADMIN",
  DeleteUser: "TENANCY_ADMIN",
  UnlockUser: "TENANCY_ADMIN",
  ListGroups: "TENANCY_ADMIN",
  CreateGroup: "TENANCY_ADMIN",
  DeleteGroup: "TENANCY_ADMIN",
  ListGroupMembers: "TENANCY_ADMIN",
  AddUserToGroup: "TENANCY_ADMIN",
  RemoveUserFromGroup: "TENANCY_ADMIN",
  ListPolicies: "TENANCY_ADMIN",
  GetPolicy: "TENANCY_ADMIN",
  CreatePolicy: "TENANCY_ADMIN",
  UpdatePolicy: "TENANCY_ADMIN",
  DeletePolicy: "TENANCY_ADMIN",
  ReadAuditEvents: "TENANCY_ADMIN",
  ReadUsage: "TENANCY_ADMIN",
  ListAuthTokens: "SELF_OR_TENANCY_ADMIN",
  CreateAuthToken: "SELF_OR_TENANCY_ADMIN",
  DeleteAuthToken: "SELF_OR_TENANCY_ADMIN",
  SetConsolePassword: "SELF_OR_TENANCY_ADMIN",

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

/** Operations a policy statement can grant (they carry a repository permission). */
export type RepositoryOperation = { [K in Operation]: (typeof OPERATIONS)[K] extends Permission ? K : never }[Operation];

const AUTHORITIES: ReadonlySet<string> = new Set<Authority>(["TENANCY_ADMIN", "SELF_OR_TENANCY_ADMIN", "TENANCY_MEMBER", "AUTHENTICATED", "OPERATOR"]);

export function isRepositoryOperation(operation: Operation): operation is RepositoryOperation {
  return !AUTHORITIES.has(OPERATIONS[operation]);
}

export function isOperation(value: string): value is Operation {
  return Object.hasOwn(OPERATIONS, value);
}

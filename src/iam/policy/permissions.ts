// The permissions policies grant, by resource type and verb. Verbs are cumulative, as in OCI:
// each one grants everything the one before it does, plus its own. `repos` carries OCIR's
// permissions; `users`, `groups`, `policies` and `audit-events` OCI IAM's, for what Berth has of
// them; `all-resources` grants every type's.

export const REPOSITORY_PERMISSIONS = [
  "REPOSITORY_INSPECT",
  "REPOSITORY_READ",
  "REPOSITORY_UPDATE",
  "REPOSITORY_CREATE",
  "REPOSITORY_DELETE",
  "REPOSITORY_MANAGE",
] as const;

export const IAM_PERMISSIONS = [
  "USER_INSPECT",
  "USER_READ",
  "USER_CREATE",
  "USER_UPDATE",
  "USER_DELETE",
  "USER_UNBLOCK",
  "GROUP_INSPECT",
  "GROUP_READ",
  "GROUP_CREATE",
  "GROUP_UPDATE",
  "GROUP_DELETE",
  "POLICY_READ",
  "POLICY_CREATE",
  "POLICY_UPDATE",
  "POLICY_DELETE",
  "AUDIT_EVENT_READ",
] as const;

export const PERMISSIONS = [...REPOSITORY_PERMISSIONS, ...IAM_PERMISSIONS] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const VERBS = ["inspect", "read", "use", "manage"] as const;
export type Verb = (typeof VERBS)[number];

export const RESOURCES = ["repos", "users", "groups", "policies", "audit-events", "all-resources"] as const;
export type Resource = (typeof RESOURCES)[number];

/** What each verb adds to the one before it, per resource type (`all-resources` aside). */
const ADDED: Record<Exclude<Resource, "all-resources">, Record<Verb, readonly Permission[]>> = {
  repos: {
    inspect: ["REPOSITORY_INSPECT"],
    read: ["REPOSITORY_READ"],
    use: ["REPOSITORY_UPDATE"],
    manage: ["REPOSITORY_CREATE", "REPOSITORY_DELETE", "REPOSITORY_MANAGE"],
  },
  users: { inspect: ["USER_INSPECT"], read: ["USER_READ"], use: [], manage: ["USER_CREATE", "USER_UPDATE", "USER_DELETE", "USER_UNBLOCK"] },
  groups: { inspect: ["GROUP_INSPECT"], read: ["GROUP_READ"], use: [], manage: ["GROUP_CREATE", "GROUP_UPDATE", "GROUP_DELETE"] },
  policies: { inspect: ["POLICY_READ"], read: [], use: [], manage: ["POLICY_CREATE", "POLICY_UPDATE", "POLICY_DELETE"] },
  "audit-events": { inspect: [], read: ["AUDIT_EVENT_READ"], use: [], manage: [] },
};

type Grants = Readonly<Record<Verb, ReadonlySet<Permission>>>;

function byVerb(grant: (verb: Verb) => Iterable<Permission>): Grants {
  const out: Partial<Record<Verb, ReadonlySet<Permission>>> = {};
  for (const verb of VERBS) out[verb] = new Set(grant(verb));
  return out as Grants;
}

/** Everything `verb` and the verbs before it add. */
const cumulative = (added: Record<Verb, readonly Permission[]>) => byVerb((verb) => VERBS.slice(0, VERBS.indexOf(verb) + 1).flatMap((v) => added[v]));

const TYPED = Object.fromEntries(Object.entries(ADDED).map(([resource, added]) => [resource, cumulative(added)])) as Record<Exclude<Resource, "all-resources">, Grants>;

/** The permissions `<verb> <resource>` grants. */
export const GRANTS: Readonly<Record<Resource, Grants>> = Object.freeze({
  ...TYPED,
  "all-resources": byVerb((verb) => Object.values(TYPED).flatMap((grants) => [...grants[verb]])),
});

const PERMISSION_SET: ReadonlySet<string> = new Set(PERMISSIONS);

export function isPermission(value: string): value is Permission {
  return PERMISSION_SET.has(value);
}

export function isRepositoryPermission(value: Permission): boolean {
  return value.startsWith("REPOSITORY_");
}

export function isVerb(value: string): value is Verb {
  return (VERBS as readonly string[]).includes(value);
}

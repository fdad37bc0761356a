// The OCIR permissions and the four verbs that grant them. Verbs are cumulative, as in OCI:
// each one grants everything the one before it does, plus its own.

export const PERMISSIONS = [
  "REPOSITORY_INSPECT",
  "REPOSITORY_READ",
  "REPOSITORY_UPDATE",
  "REPOSITORY_CREATE",
  "REPOSITORY_DELETE",
  "REPOSITORY_MANAGE",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const VERBS = ["inspect", "read", "use", "manage"] as const;
export type Verb = (typeof VERBS)[number];

const INSPECT: readonly Permission[] = ["REPOSITORY_INSPECT"];
const READ: readonly Permission[] = [...INSPECT, "REPOSITORY_READ"];
const USE: readonly Permission[] = [...READ, "REPOSITORY_UPDATE"];
const MANAGE: readonly Permission[] = [...USE, "REPOSITORY_CREATE", "REPOSITORY_DELETE", "REPOSITORY_MANAGE"];

export const VERB_PERMISSIONS: Readonly<Record<Verb, ReadonlySet<Permission>>> = Object.freeze({
  inspect: new Set(INSPECT),
  read: new Set(READ),
  use: new Set(USE),
  manage: new Set(MANAGE),
});

const PERMISSION_SET: ReadonlySet<string> = new Set(PERMISSIONS);

export function isPermission(value: string): value is Permission {
  return PERMISSION_SET.has(value);
}

export function isVerb(value: string): value is Verb {
  return (VERBS as readonly string[]).includes(value);
}

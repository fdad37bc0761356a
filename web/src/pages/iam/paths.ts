// Admin API paths (relative to /api/v1) and console links of a tenancy's identities. Every name
// travels as one encoded segment.
const seg = encodeURIComponent;

export const apiPaths = {
  users: (ns: string) => `/tenancies/${seg(ns)}/users`,
  user: (ns: string, user: string) => `/tenancies/${seg(ns)}/users/${seg(user)}`,
  unlock: (ns: string, user: string) => `/tenancies/${seg(ns)}/users/${seg(user)}/unlock`,
  tokens: (ns: string, user: string) => `/tenancies/${seg(ns)}/users/${seg(user)}/auth-tokens`,
  token: (ns: string, user: string, id: string) => `/tenancies/${seg(ns)}/users/${seg(user)}/auth-tokens/${seg(id)}`,
  consolePassword: (ns: string, user: string) => `/tenancies/${seg(ns)}/users/${seg(user)}/console-password`,
  groups: (ns: string) => `/tenancies/${seg(ns)}/groups`,
  group: (ns: string, group: string) => `/tenancies/${seg(ns)}/groups/${seg(group)}`,
  members: (ns: string, group: string) => `/tenancies/${seg(ns)}/groups/${seg(group)}/members`,
  member: (ns: string, group: string, user: string) => `/tenancies/${seg(ns)}/groups/${seg(group)}/members/${seg(user)}`,
  policies: (ns: string) => `/tenancies/${seg(ns)}/policies`,
  policy: (ns: string, policy: string) => `/tenancies/${seg(ns)}/policies/${seg(policy)}`,
  policyCheck: (ns: string) => `/tenancies/${seg(ns)}/policies/check`,
};

/** The console's own pages (relative to /console). */
export const links = {
  users: "/iam/users",
  user: (user: string) => `/iam/users/${seg(user)}`,
  groups: "/iam/groups",
  group: (group: string) => `/iam/groups/${seg(group)}`,
  policies: "/iam/policies",
  policy: (policy: string) => `/iam/policies/${seg(policy)}`,
  /** Policy names start with a letter or digit (src/iam/names.ts), so "+new" is never one. */
  newPolicy: "/iam/policies/+new",
};

export const NEW_POLICY = "+new";

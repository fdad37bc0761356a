// Who is asking. `local` is the operator at the machine (offline CLI on the data directory).
export type Principal =
  | { kind: "anonymous"; name: "anonymous" }
  | { kind: "local"; name: "local-operator" }
  | {
      kind: "user";
      /** `<namespace>/<user>`, as the user logs in */
      name: string;
      userId: string;
      tenancy: string;
      userName: string;
      /** names of the user's groups */
      groups: string[];
      /** the auth token or session the request came with, when any */
      tokenId?: string;
    };

export type UserPrincipal = Extract<Principal, { kind: "user" }>;

/** A user as a principal: the user's row, the names of its groups, and the token it came with. */
export function userPrincipal(user: { id: string; tenancy: string; name: string }, groups: readonly { name: string }[], tokenId?: string): UserPrincipal {
  return {
    kind: "user",
    name: `${user.tenancy}/${user.name}`,
    userId: user.id,
    tenancy: user.tenancy,
    userName: user.name,
    groups: groups.map((g) => g.name),
    ...(tokenId ? { tokenId } : {}),
  };
}

export const ANONYMOUS: Principal = { kind: "anonymous", name: "anonymous" };
export const LOCAL_OPERATOR: Principal = { kind: "local", name: "local-operator" };

/** Every tenancy's all-powerful group, created with the tenancy. */
export const ADMINISTRATORS = "Administrators";

/** Group names compare case-insensitively, this one too. */
export function isAdministratorsGroup(name: string): boolean {
  return name.toLowerCase() === ADMINISTRATORS.toLowerCase();
}

export function isAdministrator(p: Principal): boolean {
  return p.kind === "user" && p.groups.some(isAdministratorsGroup);
}

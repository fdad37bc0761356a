// Every tenancy's built-in group (src/iam/principal.ts ADMINISTRATORS): it cannot be deleted.
export const ADMINISTRATORS = "Administrators";

export function isAdministrators(group: string): boolean {
  return group.toLowerCase() === ADMINISTRATORS.toLowerCase();
}

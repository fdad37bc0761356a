// Errors of the admin services, shared by the console API (mapped to HTTP statuses) and the CLI
// (printed as readable messages).
export type AdminErrorKind = "invalid" | "not-found" | "conflict" | "forbidden" | "limit";

export class AdminError extends Error {
  constructor(
    readonly kind: AdminErrorKind,
    message: string,
    readonly detail?: unknown,
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new AdminError("not-found", `${what} not found`);
export const forbidden = (message = "not allowed") => new AdminError("forbidden", message);
export const invalid = (message: string, detail?: unknown) => new AdminError("invalid", message, detail);
export const conflict = (message: string) => new AdminError("conflict", message);

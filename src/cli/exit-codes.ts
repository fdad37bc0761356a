// What a failed `berth` command prints and the code it exits with: one readable line, and a
// code a script can branch on. Documented in docs/CLI.md.
export const EXIT = {
  ok: 0,
  /** anything else: network, server fault, a bug */
  other: 1,
  /** bad flags or input the registry refused as invalid (400) */
  invalid: 2,
  /** 404 */
  notFound: 3,
  /** not logged in, bad credentials (401) or not allowed (403) */
  denied: 4,
  /** already exists, in use, or over a limit (409) */
  conflict: 5,
  /** too many requests or the registry is busy (429, 503): try again later */
  retry: 6,
} as const;

/** An expected failure: printed as `berth: <message>`, no stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

interface Envelope {
  errors?: { code?: unknown; message?: unknown; detail?: unknown }[];
}

const LABEL: Record<string, string> = {
  UNAUTHORIZED: "unauthorized",
  DENIED: "denied",
  NOT_FOUND: "not found",
  NAME_UNKNOWN: "not found",
  MANIFEST_UNKNOWN: "not found",
  INVALID: "invalid",
  CONFLICT: "conflict",
  LIMIT_EXCEEDED: "limit exceeded",
  UNSUPPORTED: "unsupported",
  TOOMANYREQUESTS: "too many requests",
};

/** The exit code for an HTTP status of the admin API. */
export function exitCodeOf(status: number): number {
  if (status === 400 || status === 405 || status === 422) return EXIT.invalid;
  if (status === 401 || status === 403) return EXIT.denied;
  if (status === 404) return EXIT.notFound;
  if (status === 409) return EXIT.conflict;
  if (status === 429 || status === 503) return EXIT.retry;
  return EXIT.other;
}

/** The one line for an error answer: its first error's code and message (`denied: only …`). */
export function apiError(status: number, body: unknown, retryAfter?: string): CliError {
  const first = (body as Envelope | undefined)?.errors?.[0];
  const code = typeof first?.code === "string" ? first.code : undefined;
  const message = typeof first?.message === "string" && first.message !== "" ? first.message : `the registry answered ${status}`;
  const label = code ? (LABEL[code] ?? code.toLowerCase().replaceAll("_", " ")) : undefined;
  const detail = typeof first?.detail === "string" && first.detail !== "" && !message.includes(first.detail) ? ` (${first.detail})` : "";
  const later = retryAfter ? `; retry after ${retryAfter}s` : "";
  return new CliError(`${label ? `${label}: ` : ""}${oneLine(message)}${oneLine(detail)}${later}`, exitCodeOf(status));
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "no such host",
  EAI_AGAIN: "name lookup failed",
  ECONNRESET: "connection reset",
  ETIMEDOUT: "timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  DEPTH_ZERO_SELF_SIGNED_CERT: "self-signed certificate (use --ca <file>, or --insecure)",
  SELF_SIGNED_CERT_IN_CHAIN: "self-signed certificate in chain (use --ca <file>, or --insecure)",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "certificate not trusted (use --ca <file>, or --insecure)",
  ERR_TLS_CERT_ALTNAME_INVALID: "the certificate does not name this host",
  CERT_HAS_EXPIRED: "certificate expired",
  EPROTO: "TLS handshake failed (is it plain HTTP?)",
};

/** A transport failure as `cannot reach <url>: <reason>`. */
export function networkError(url: string, err: unknown): CliError {
  const e = err as NodeJS.ErrnoException;
  const reason = (e.code && REASONS[e.code]) ?? e.message ?? String(err);
  return new CliError(`cannot reach ${url}: ${oneLine(reason)}`, EXIT.other);
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ");
}

// The console's one way to the admin API (/api/v1): JSON in and out, the session's CSRF token on
// every write, the OCI error envelope turned into ApiError, and a 401 reported to the session.
export type Query = Record<string, string | number | boolean | undefined>;

export const API_BASE = "/api/v1";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly detail?: unknown,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

interface ClientHooks {
  csrfToken(): string | undefined;
  /** a call answered 401: the session ended */
  unauthorized(): void;
}

let hooks: ClientHooks = { csrfToken: () => undefined, unauthorized: () => {} };

/** The session module tells the client its CSRF token and hears about ended sessions. */
export function configureClient(next: ClientHooks): void {
  hooks = next;
}

export function apiUrl(path: string, query?: Query): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return API_BASE + path + (text ? `?${text}` : "");
}

interface Envelope {
  data?: unknown;
  next?: string;
}

async function request(method: string, path: string, options: { query?: Query; body?: unknown; signal?: AbortSignal } = {}): Promise<Envelope | undefined> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && method !== "HEAD") {
    const csrf = hooks.csrfToken();
    if (csrf) headers["X-CSRF-Token"] = csrf;
  }
  let response: Response;
  try {
    response = await fetch(apiUrl(path, options.query), {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: "same-origin",
      signal: options.signal,
    });
  } catch (err) {
    if ((err as Error).name === "AbortError") throw err;
    throw new ApiError(0, "NETWORK", "Berth cannot be reached; check your connection and try again.");
  }
  if (response.status === 204) return undefined;
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const error = errorOf(response.status, body);
    // Signing in with a bad secret is a 401 too, but no session has ended.
    if (response.status === 401 && !(method === "POST" && path === "/session")) hooks.unauthorized();
    throw error;
  }
  return (body ?? {}) as Envelope;
}

function errorOf(status: number, body: unknown): ApiError {
  const first = (body as { errors?: { code?: unknown; message?: unknown; detail?: unknown }[] } | undefined)?.errors?.[0];
  if (first && typeof first.message === "string") return new ApiError(status, typeof first.code === "string" ? first.code : "UNKNOWN", first.message, first.detail);
  return new ApiError(status, "UNKNOWN", `Berth answered ${status} with no explanation.`);
}

export const api = {
  async get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return (await request("GET", path, { query, signal }))?.data as T;
  },
  async list<T>(path: string, query?: Query, signal?: AbortSignal): Promise<{ items: T[]; next?: string }> {
    const envelope = await request("GET", path, { query, signal });
    return { items: (envelope?.data as T[] | undefined) ?? [], next: envelope?.next };
  },
  async post<T>(path: string, body?: unknown): Promise<T> {
    return (await request("POST", path, { body }))?.data as T;
  },
  async put<T>(path: string, body?: unknown): Promise<T> {
    return (await request("PUT", path, { body }))?.data as T;
  },
  async patch<T>(path: string, body?: unknown): Promise<T> {
    return (await request("PATCH", path, { body }))?.data as T;
  },
  async delete(path: string): Promise<void> {
    await request("DELETE", path);
  },
};

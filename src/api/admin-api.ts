// The JSON admin API under /api/v1 (the console uses it; the CLI calls the same services).
// Callers authenticate with HTTP Basic: `<namespace>/<user>` and an auth token.
import type { IncomingMessage, ServerResponse } from "node:http";
import { AdminError, type AdminErrorKind } from "../admin/errors.js";
import type { AdminServices } from "../admin/services.js";
import type { TokenAuthorizer } from "../auth/token-authorizer.js";
import type { Principal } from "../iam/principal.js";
import { RegistryError } from "../registry/errors.js";
import { readBounded } from "../server/read-body.js";

type Params = string[];
type Body = Record<string, unknown>;
interface Call {
  actor: Principal;
  params: Params;
  query: URLSearchParams;
  body: Body;
}
type Action = (call: Call) => Promise<unknown>;

interface ApiRoute {
  method: string;
  pattern: RegExp;
  action: Action;
  status?: number;
}

const STATUS: Record<AdminErrorKind, number> = { invalid: 400, "not-found": 404, conflict: 409, forbidden: 403, limit: 409 };
const SEGMENT = "([^/]+)";
const MAX_BODY = 256 * 1024;

export class AdminApi {
  private readonly routes: ApiRoute[];

  constructor(
    services: AdminServices,
    private readonly authorizer: TokenAuthorizer,
  ) {
    const s = services;
    const t = (suffix = "") => new RegExp(`^/api/v1/tenancies/${SEGMENT}${suffix}$`);
    this.routes = [
      { method: "GET", pattern: /^\/api\/v1\/whoami$/, action: async ({ actor }) => whoami(actor) },
      { method: "GET", pattern: /^\/api\/v1\/tenancies$/, action: ({ actor }) => s.tenancies.list(actor) },
      {
        method: "POST",
        pattern: /^\/api\/v1\/tenancies$/,
        status: 201,
        action: async ({ actor, body }) => {
          const r = await s.tenancies.create(actor, {
            namespace: str(body, "namespace"),
            description: optStr(body, "description"),
            repositoryLimit: optNum(body, "repositoryLimit"),
            adminUser: optStr(body, "adminUser"),
          });
          return r;
        },
      },
      { method: "GET", pattern: t(), action: ({ actor, params }) => s.tenancies.get(actor, params[0]!) },
      {
        method: "PATCH",
        pattern: t(),
        action: ({ actor, params, body }) =>
          s.tenancies.update(actor, params[0]!, { repositoryLimit: optNum(body, "repositoryLimit"), description: optStr(body, "description") }),
      },
      { method: "DELETE", pattern: t(), status: 204, action: ({ actor, params }) => s.tenancies.delete(actor, params[0]!) },

      { method: "GET", pattern: t("/users"), action: ({ actor, params }) => s.identities.listUsers(actor, params[0]!) },
      {
        method: "POST",
        pattern: t("/users"),
        status: 201,
        action: ({ actor, params, body }) => s.identities.createUser(actor, params[0]!, { name: str(body, "name"), description: optStr(body, "description") }),
      },
      { method: "GET", pattern: t(`/users/${SEGMENT}`), action: ({ actor, params }) => s.identities.getUser(actor, params[0]!, params[1]!) },
      { method: "DELETE", pattern: t(`/users/${SEGMENT}`), status: 204, action: ({ actor, params }) => s.identities.deleteUser(actor, params[0]!, params[1]!) },
      {
        method: "POST",
        pattern: t(`/users/${SEGMENT}/unlock`),
        status: 204,
        action: ({ actor, params }) => s.identities.unlockUser(actor, params[0]!, params[1]!),
      },
      { method: "GET", pattern: t(`/users/${SEGMENT}/auth-tokens`), action: ({ actor, params }) => s.tokens.list(actor, params[0]!, params[1]!) },
      {
        method: "POST",
        pattern: t(`/users/${SEGMENT}/auth-tokens`),
        status: 201,
        action: ({ actor, params, body }) => s.tokens.create(actor, params[0]!, params[1]!, optStr(body, "description") ?? ""),
      },
      {
        method: "DELETE",
        pattern: t(`/users/${SEGMENT}/auth-tokens/${SEGMENT}`),
        status: 204,
        action: ({ actor, params }) => s.tokens.delete(actor, params[0]!, params[1]!, params[2]!),
      },

      { method: "GET", pattern: t("/groups"), action: ({ actor, params }) => s.identities.listGroups(actor, params[0]!) },
      {
        method: "POST",
        pattern: t("/groups"),
        status: 201,
        action: ({ actor, params, body }) => s.identities.createGroup(actor, params[0]!, { name: str(body, "name"), description: optStr(body, "description") }),
      },
      { method: "DELETE", pattern: t(`/groups/${SEGMENT}`), status: 204, action: ({ actor, params }) => s.identities.deleteGroup(actor, params[0]!, params[1]!) },
      { method: "GET", pattern: t(`/groups/${SEGMENT}/members`), action: ({ actor, params }) => s.identities.listMembers(actor, params[0]!, params[1]!) },
      {
        method: "POST",
        pattern: t(`/groups/${SEGMENT}/members`),
        status: 204,
        action: ({ actor, params, body }) => s.identities.addMember(actor, params[0]!, params[1]!, str(body, "user")),
      },
      {
        method: "DELETE",
        pattern: t(`/groups/${SEGMENT}/members/${SEGMENT}`),
        status: 204,
        action: ({ actor, params }) => s.identities.removeMember(actor, params[0]!, params[1]!, params[2]!),
      },

      { method: "GET", pattern: t("/policies"), action: ({ actor, params }) => s.policies.list(actor, params[0]!) },
      {
        method: "POST",
        pattern: t("/policies"),
        status: 201,
        action: ({ actor, params, body }) =>
          s.policies.create(actor, params[0]!, { name: str(body, "name"), description: optStr(body, "description"), statements: strs(body, "statements") }),
      },
      {
        method: "PATCH",
        pattern: t(`/policies/${SEGMENT}`),
        action: ({ actor, params, body }) =>
          s.policies.update(actor, params[0]!, params[1]!, {
            statements: body.statements === undefined ? undefined : strs(body, "statements"),
            description: optStr(body, "description"),
          }),
      },
      { method: "DELETE", pattern: t(`/policies/${SEGMENT}`), status: 204, action: ({ actor, params }) => s.policies.delete(actor, params[0]!, params[1]!) },

      { method: "GET", pattern: t("/repositories"), action: ({ actor, params }) => s.repositories.list(actor, params[0]!) },
      {
        method: "POST",
        pattern: /^\/api\/v1\/repositories$/,
        status: 201,
        action: ({ actor, body }) => s.repositories.create(actor, str(body, "name"), { isPublic: optBool(body, "isPublic") }),
      },
      { method: "GET", pattern: /^\/api\/v1\/repositories\/(.+)$/, action: ({ actor, params }) => s.repositories.get(actor, params[0]!) },
      {
        method: "PATCH",
        pattern: /^\/api\/v1\/repositories\/(.+)$/,
        action: ({ actor, params, body }) => s.repositories.setVisibility(actor, params[0]!, bool(body, "isPublic")),
      },
      { method: "DELETE", pattern: /^\/api\/v1\/repositories\/(.+)$/, status: 204, action: ({ actor, params }) => s.repositories.delete(actor, params[0]!) },

      { method: "GET", pattern: t("/audit"), action: ({ actor, params, query }) => s.audit(actor, params[0]!, optLimit(query)) },
      { method: "POST", pattern: /^\/api\/v1\/signing-keys\/rotate$/, action: async ({ actor }) => ({ kid: await s.rotateSigningKey(actor) }) },
    ];
  }

  /** Handles `/api/*`; false when the path is not under /api/. */
  async handle(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<boolean> {
    if (!path.startsWith("/api/")) return false;
    try {
      let matchedPath = false;
      for (const route of this.routes) {
        const m = route.pattern.exec(path);
        if (!m) continue;
        matchedPath = true;
        if (route.method !== req.method) continue;
        const { principal, bearer } = await this.authorizer.identify(req);
        if (principal.kind === "anonymous" || bearer) {
          throw new RegistryError("UNAUTHORIZED", "log in with HTTP Basic: <namespace>/<user> and an auth token", undefined, 401, {
            "WWW-Authenticate": 'Basic realm="berth"',
          });
        }
        const params = m.slice(1).map(decodeSegment);
        const body = ["POST", "PATCH", "PUT"].includes(req.method ?? "") ? await readJson(req) : {};
        const result = await route.action({ actor: principal, params, query, body });
        send(res, route.status ?? 200, route.status === 204 ? undefined : result);
        return true;
      }
      if (matchedPath) throw new AdminError("invalid", `method ${req.method} not allowed here`);
      throw new AdminError("not-found", "no such API endpoint");
    } catch (err) {
      if (err instanceof AdminError) {
        send(res, STATUS[err.kind], { error: { kind: err.kind, message: err.message, ...(err.detail !== undefined ? { detail: err.detail } : {}) } });
        return true;
      }
      throw err;
    }
  }
}

function whoami(actor: Principal) {
  return actor.kind === "user"
    ? { name: actor.name, tenancy: actor.tenancy, user: actor.userName, groups: actor.groups }
    : { name: actor.name };
}

function send(res: ServerResponse, status: number, value: unknown): void {
  if (value === undefined) {
    res.writeHead(status, { "Content-Length": 0 });
    res.end();
    return;
  }
  const body = JSON.stringify(value);
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(body), "Cache-Control": "no-store" });
  res.end(body);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new AdminError("invalid", "malformed percent-encoding in path");
  }
}

async function readJson(req: IncomingMessage): Promise<Body> {
  const bytes = await readBounded(req, MAX_BODY);
  if (bytes.byteLength === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8"));
  } catch {
    throw new AdminError("invalid", "request body is not valid JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new AdminError("invalid", "request body must be a JSON object");
  return value as Body;
}

function str(body: Body, key: string): string {
  const v = body[key];
  if (typeof v !== "string" || v === "") throw new AdminError("invalid", `"${key}" must be a non-empty string`);
  return v;
}
function optStr(body: Body, key: string): string | undefined {
  return body[key] === undefined ? undefined : str(body, key);
}
function optNum(body: Body, key: string): number | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isSafeInteger(v)) throw new AdminError("invalid", `"${key}" must be an integer`);
  return v;
}
function bool(body: Body, key: string): boolean {
  const v = body[key];
  if (typeof v !== "boolean") throw new AdminError("invalid", `"${key}" must be true or false`);
  return v;
}
function optBool(body: Body, key: string): boolean | undefined {
  return body[key] === undefined ? undefined : bool(body, key);
}
function strs(body: Body, key: string): string[] {
  const v = body[key];
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) throw new AdminError("invalid", `"${key}" must be an array of strings`);
  return v as string[];
}
function optLimit(query: URLSearchParams): number {
  const n = Number(query.get("limit") ?? "100");
  return Number.isSafeInteger(n) && n > 0 ? Math.min(n, 1000) : 100;
}


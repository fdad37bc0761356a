// The Docker token endpoint: `GET /auth/token?service=&scope=` (HTTP Basic or anonymous) and
// the OAuth2 form `POST /auth/token` (password and refresh_token grants) that containerd uses.
// Grants exactly what the one decision (src/authz) allows for each requested scope, asked
// silently: a token request is a question, not an attempt, so nothing is audited.
import type { IncomingMessage, ServerResponse } from "node:http";
import { isValidRepositoryName } from "../content/names.js";
import type { Principal } from "../iam/principal.js";
import { RegistryError } from "../registry/errors.js";
import { readBounded } from "../server/read-body.js";
import type { Authorization } from "../authz/authorization.js";
import type { Access } from "../authz/requests.js";
import { REGISTRY, repositoryTarget } from "../authz/target.js";
import type { Operation } from "../iam/operations.js";
import type { CredentialVerifier } from "./credentials.js";
import type { KeyRing } from "./keys.js";
import { addressOf, type TokenAuthorizer } from "./token-authorizer.js";
import type { ResourceAccess, TokenService, TokenSubject } from "./tokens.js";

const ACTIONS: ReadonlySet<string> = new Set(["pull", "push", "delete", "*"]);
const MAX_FORM_BYTES = 64 * 1024;

type AuthHandler = (req: IncomingMessage, res: ServerResponse, query: URLSearchParams, seen: SeenCaller) => Promise<void>;
/** Where the access log learns who called, once the endpoint knows. */
export interface SeenCaller {
  user: string | undefined;
}

export class TokenEndpoint {
  constructor(
    private readonly tokens: TokenService,
    private readonly credentials: CredentialVerifier,
    private readonly authz: Authorization,
    /** whether a repository exists: a push to a missing one creates it */
    private readonly repositoryExists: (name: string) => Promise<boolean>,
    private readonly authorizer: TokenAuthorizer,
    private readonly keys: KeyRing,
    private readonly now: () => number,
  ) {}

  /**
   * `/auth/*` as a table, like /v2's: every route is public (declares no operation). The token
   * endpoint identifies its caller itself and grants each scope by a silent decision.
   */
  private readonly routes: Record<string, { access: Access[]; methods: Record<string, AuthHandler> }> = {
    "/auth/token": {
      access: [],
      methods: { GET: (req, res, query, seen) => this.getToken(req, res, query, seen), POST: (req, res, _query, seen) => this.postToken(req, res, seen) },
    },
    "/auth/jwks": { access: [], methods: { GET: (_req, res) => this.jwks(res), HEAD: (_req, res) => this.jwks(res) } },
  };

  /** Handles `/auth/*`; false when the path is not one of ours. */
  async handle(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams, seen: SeenCaller = { user: undefined }): Promise<boolean> {
    const route = this.routes[path];
    if (!route) return false;
    const handler = route.methods[req.method ?? ""];
    if (!handler) throw new RegistryError("UNSUPPORTED", `method ${req.method} not allowed here`, undefined, 405, { Allow: Object.keys(route.methods).join(", ") });
    await handler(req, res, query, seen);
    return true;
  }

  private async jwks(res: ServerResponse): Promise<void> {
    json(res, 200, await this.keys.jwks());
  }

  /** `GET /auth/token?service=&scope=`: Docker's form, HTTP Basic or anonymous. */
  private async getToken(req: IncomingMessage, res: ServerResponse, query: URLSearchParams, seen: SeenCaller): Promise<void> {
    this.requireOurService(query.getAll("service"));
    const principal = await this.basicOrAnonymous(req);
    seen.user = principal.name;
    const offline = query.get("offline_token") === "true";
    await this.respond(res, principal, query.getAll("scope"), offline, false);
  }

  /** `POST /auth/token`: OAuth2 password and refresh_token grants. */
  private async postToken(req: IncomingMessage, res: ServerResponse, seen: SeenCaller): Promise<void> {
    const form = new URLSearchParams(await readForm(req));
    this.requireOurService(form.getAll("service"));
    const grant = form.get("grant_type");
    let subject: Principal;
    if (grant === "password") {
      subject = await this.credentials.verify(form.get("username") ?? "", form.get("password") ?? "", addressOf(req));
    } else if (grant === "refresh_token") {
      subject = await this.fromRefresh(form.get("refresh_token") ?? "");
    } else {
      throw new RegistryError("UNSUPPORTED", `unsupported grant_type "${(grant ?? "").slice(0, 40)}"`, undefined, 400);
    }
    seen.user = subject.name;
    const offline = form.get("access_type") === "offline" || grant === "refresh_token";
    await this.respond(res, subject, form.getAll("scope"), offline, true);
  }

  /**
   * A token is only ever for this registry (its audience is our service): a request naming another
   * service is refused rather than answered with a token it did not ask for. Clients may omit it.
   */
  private requireOurService(requested: string[]): void {
    const expected = this.tokens.service;
    const other = requested.find((service) => service !== "" && service !== expected);
    if (other === undefined) return;
    throw new RegistryError(
      "UNSUPPORTED",
      `this token endpoint issues tokens for service "${expected}" only, not "${other.slice(0, 100)}"`,
      { service: other.slice(0, 100), expected },
      400,
    );
  }

  private async respond(res: ServerResponse, principal: Principal, scopes: string[], offline: boolean, oauth: boolean): Promise<void> {
    const access = await this.grants(principal, scopes);
    const subject = subjectOf(principal);
    const token = await this.tokens.issueAccess(subject, access);
    const body: Record<string, unknown> = {
      token,
      access_token: token,
      expires_in: this.tokens.ttlSeconds,
      issued_at: new Date(this.now()).toISOString(),
    };
    if (oauth) body.scope = access.map((a) => `${a.type}:${a.name}:${a.actions.join(",")}`).join(" ");
    if (offline && principal.kind === "user") body.refresh_token = await this.tokens.issueRefresh(subject);
    res.setHeader("Cache-Control", "no-store");
    json(res, 200, body);
  }

  /** What each requested scope gets; scopes that do not parse get nothing. */
  private async grants(principal: Principal, scopes: string[]): Promise<ResourceAccess[]> {
    const out: ResourceAccess[] = [];
    for (const scope of scopes.flatMap((s) => s.split(" ")).filter(Boolean).slice(0, 50)) {
      const parsed = parseScope(scope);
      if (!parsed) continue;
      if (parsed.type === "registry") {
        if (parsed.name === "catalog" && (await this.allows(principal, "ListDockerRepositories"))) out.push({ type: "registry", name: "catalog", actions: ["*"] });
        continue;
      }
      const requested = parsed.actions.includes("*") ? ["pull", "push", "delete"] : [...new Set(parsed.actions)];
      const granted: string[] = [];
      for (const action of requested) if (await this.grant(principal, parsed.name, action)) granted.push(action);
      out.push({ type: "repository", name: parsed.name, actions: granted });
    }
    return out;
  }

  private async grant(principal: Principal, repository: string, action: string): Promise<boolean> {
    if (action === "pull") return this.allows(principal, "PullImage", repository);
    if (action === "delete") return this.allows(principal, "DeleteImage", repository);
    // push: to an existing repository, or one the principal may create
    if (!(await this.allows(principal, "PushImage", repository))) return false;
    return (await this.allows(principal, "CreateContainerRepository", repository)) || (await this.repositoryExists(repository));
  }

  private async allows(principal: Principal, operation: Operation, repository?: string): Promise<boolean> {
    const target = repository === undefined ? REGISTRY : repositoryTarget(repository);
    return (await this.authz.decide(principal, operation, target, { audit: false })).allowed;
  }

  private async basicOrAnonymous(req: IncomingMessage): Promise<Principal> {
    const { principal } = await this.authorizer.identify(req);
    return principal;
  }

  private async fromRefresh(token: string): Promise<Principal> {
    const subject = await this.tokens.verifyRefresh(token);
    if (!subject || !(await this.authorizer.alive(subject))) {
      throw new RegistryError("UNAUTHORIZED", "invalid or expired refresh token", undefined, 401);
    }
    return this.authorizer.principalOf(subject);
  }
}

/** `repository:ns/app:pull,push`, `repository(plugin):name:pull`, `registry:catalog:*` */
export function parseScope(scope: string): { type: "repository" | "registry"; name: string; actions: string[] } | undefined {
  const first = scope.indexOf(":");
  const last = scope.lastIndexOf(":");
  if (first < 0 || last === first) return undefined;
  const type = scope.slice(0, first).replace(/\(.*\)$/, "");
  const name = scope.slice(first + 1, last);
  const actions = scope.slice(last + 1).split(",").filter((a) => ACTIONS.has(a));
  if (type === "registry" && name === "catalog") return { type, name, actions };
  if (type !== "repository" || !isValidRepositoryName(name) || actions.length === 0) return undefined;
  return { type, name, actions };
}

function subjectOf(principal: Principal): TokenSubject {
  if (principal.kind !== "user") return { name: "anonymous" };
  const subject: TokenSubject = { name: principal.name, userId: principal.userId, tenancy: principal.tenancy };
  if (principal.tokenId) subject.tokenId = principal.tokenId;
  return subject;
}

async function readForm(req: IncomingMessage): Promise<string> {
  return (await readBounded(req, MAX_FORM_BYTES)).toString("utf8");
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

// Console sessions: a user signs in with `<namespace>/<user>` and an auth token or their console
// password, and gets a random session id in an HttpOnly, SameSite=Strict cookie (Secure over
// TLS). The id is stored only as its SHA-256, in the metadata database, so a logout or a password
// change ends a session in every process and on every node from its next request on. Writes
// made with the cookie must carry the session's CSRF token (`X-CSRF-Token`), derived from the id.
import { createHash, createHmac, randomBytes } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { AccessCache } from "../iam/access-cache.js";
import type { AuditLog } from "../iam/audit.js";
import { splitLogin } from "../iam/names.js";
import { userPrincipal, type UserPrincipal } from "../iam/principal.js";
import { sameSecret } from "../iam/secrets.js";
import type { IamStore, SessionRecord } from "../iam/store.js";
import { RegistryError } from "../registry/errors.js";
import type { CredentialVerifier } from "./credentials.js";
import { spendPasswordCheck, verifyPassword } from "./password-hash.js";

export const SESSION_COOKIE = "berth_session";
export const CSRF_HEADER = "x-csrf-token";

export interface SessionSettings {
  /** a session unused this long ends (ms) */
  idle: number;
  /** a session ends this long after sign-in, whatever its use (ms) */
  ttl: number;
  /** the server speaks TLS itself: cookies are always Secure */
  tls: boolean;
}

/** What a request shows of itself to the session check (an IncomingMessage has all of it). */
export interface SessionRequest {
  method?: string;
  headers: IncomingHttpHeaders;
}

/** A signed-in session, as its owner may see it. */
export interface SessionView {
  principal: UserPrincipal;
  createdAt: number;
  /** the absolute end; idle expiry may come sooner */
  expiresAt: number;
  csrfToken: string;
}

export interface ActiveSession extends SessionView {
  /** SHA-256 of the session id: names the session in the store */
  idHash: string;
}

/** Methods that change something: with a cookie, only with the CSRF token. */
const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);
/** 256 random bits, base64url. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;
/** Each process records a session's use at most this often (or a tenth of `idle`, if shorter). */
const TOUCH_EVERY_MS = 60_000;

export class SessionService {
  /** principals by user and the auth token signed in with, while the IAM version stands still */
  private readonly principals: AccessCache<UserPrincipal>;

  constructor(
    private readonly iam: IamStore,
    private readonly credentials: CredentialVerifier,
    private readonly audit: AuditLog,
    private readonly settings: SessionSettings,
    private readonly now: () => number,
  ) {
    this.principals = new AccessCache(iam);
  }

  /**
   * Signs in with an auth token or the console password; throttled and audited like every login
   * (UNAUTHORIZED, TOOMANYREQUESTS). Returns the new session and the cookie that carries it.
   */
  async signIn(login: string, secret: string, address: string, headers: IncomingHttpHeaders): Promise<{ session: SessionView; cookie: string }> {
    const principal = await this.credentials.verifyConsole(login, secret, address, (l, s) => this.byPassword(l, s));
    const now = this.now();
    // Expired sessions go as new ones come, so the table holds at most the sign-ins of one `ttl`.
    await this.iam.purgeSessions(now, now - this.settings.idle);
    const id = randomBytes(32).toString("base64url");
    const record: SessionRecord = {
      idHash: hashId(id),
      userId: principal.userId,
      tokenId: principal.tokenId ?? null,
      createdAt: now,
      lastUsedAt: now,
      expiresAt: now + this.settings.ttl,
    };
    await this.iam.createSession(record);
    this.audit.record({ actor: principal, action: "CreateSession", target: principal.name, outcome: "ok", address, detail: principal.tokenId ? "auth token" : "console password" });
    return {
      session: { principal, createdAt: record.createdAt, expiresAt: record.expiresAt, csrfToken: csrfOf(id) },
      cookie: this.cookie(id, headers, Math.floor(this.settings.ttl / 1000)),
    };
  }

  /**
   * The principal of the session a request's cookie names, or undefined when it names none.
   * UNAUTHORIZED when the session has ended (expired, signed out, its user or token deleted);
   * for a write, DENIED unless it carries the session's CSRF token.
   */
  readonly authenticateSession = async (req: SessionRequest): Promise<UserPrincipal | undefined> => {
    const session = await this.current(req.headers);
    if (!session) return undefined;
    if (WRITES.has((req.method ?? "GET").toUpperCase())) {
      const sent = req.headers[CSRF_HEADER];
      if (typeof sent !== "string" || !sameSecret(sent, session.csrfToken)) {
        throw new RegistryError("DENIED", "missing or wrong CSRF token", { header: "X-CSRF-Token" }, 403);
      }
    }
    return session.principal;
  };

  /** The session the cookie names; undefined without one; UNAUTHORIZED when it has ended. */
  async current(headers: IncomingHttpHeaders): Promise<ActiveSession | undefined> {
    const id = sessionIdOf(headers);
    if (id === undefined) return undefined;
    const ended = () => new RegistryError("UNAUTHORIZED", "your console session has ended; sign in again");
    if (id === null) throw ended();
    const idHash = hashId(id);
    const record = await this.iam.getSession(idHash);
    if (!record) throw ended();
    const now = this.now();
    const tokenGone = record.tokenId !== null && !(await this.iam.authTokenExists(record.tokenId));
    const principal = tokenGone ? undefined : await this.principalOf(record);
    if (now >= record.expiresAt || now >= record.lastUsedAt + this.settings.idle || !principal) {
      await this.iam.deleteSession(idHash);
      throw ended();
    }
    if (now - record.lastUsedAt >= Math.min(TOUCH_EVERY_MS, this.settings.idle / 10)) await this.iam.touchSession(idHash, now);
    return { idHash, principal, createdAt: record.createdAt, expiresAt: record.expiresAt, csrfToken: csrfOf(id) };
  }

  /** Ends the session the cookie names, if any; returns the cookie that clears it in the browser. */
  async signOut(headers: IncomingHttpHeaders, address?: string): Promise<string> {
    const id = sessionIdOf(headers);
    if (id) {
      const idHash = hashId(id);
      const record = await this.iam.getSession(idHash);
      if (record && (await this.iam.deleteSession(idHash))) {
        const principal = await this.principalOf(record);
        if (principal) this.audit.record({ actor: principal, action: "DeleteSession", target: principal.name, outcome: "ok", address });
      }
    }
    return this.cookie("", headers, 0);
  }

  private async principalOf(record: SessionRecord): Promise<UserPrincipal | undefined> {
    // Rebuilt under the IAM version: a deleted user or a lost Administrators membership counts at once.
    return this.principals.get(`${record.userId}\n${record.tokenId ?? ""}`, async () => {
      const user = await this.iam.getUserById(record.userId);
      return user ? userPrincipal(user, await this.iam.groupsOfUser(user.id), record.tokenId ?? undefined) : undefined;
    });
  }

  private async byPassword(login: string, secret: string): Promise<UserPrincipal | undefined> {
    const parts = splitLogin(login);
    const user = parts && login.length <= 300 ? await this.iam.getUser(parts.namespace, parts.user) : undefined;
    const stored = user ? await this.iam.getConsolePassword(user.id) : undefined;
    if (!user || stored === undefined) {
      await spendPasswordCheck(secret);
      return undefined;
    }
    if (!(await verifyPassword(secret, stored))) return undefined;
    return userPrincipal(user, await this.iam.groupsOfUser(user.id));
  }

  private cookie(value: string, headers: IncomingHttpHeaders, maxAge: number): string {
    const attributes = [`${SESSION_COOKIE}=${value}`, "Path=/", `Max-Age=${maxAge}`, "HttpOnly", "SameSite=Strict"];
    if (this.secure(headers)) attributes.push("Secure");
    return attributes.join("; ");
  }

  /** Over TLS here, or behind a proxy that says the client spoke https. */
  private secure(headers: IncomingHttpHeaders): boolean {
    const forwarded = headers["x-forwarded-proto"];
    const proto = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim().toLowerCase();
    return this.settings.tls || proto === "https";
  }
}

/** SHA-256 of a session id: 256 random bits need no slow hash. */
function hashId(id: string): string {
  return createHash("sha256").update(id, "utf8").digest("hex");
}

/**
 * The CSRF token of a session: an HMAC keyed by its id, so it is never stored, cannot be derived
 * from the stored hash, and a page that could read it already had the session.
 */
function csrfOf(id: string): string {
  return createHmac("sha256", id).update("berth console csrf").digest("base64url");
}

/** The session id in the cookie; undefined when there is no such cookie, null when it is malformed. */
function sessionIdOf(headers: IncomingHttpHeaders): string | null | undefined {
  const header = headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    // A cleared cookie (empty) counts as none.
    if (value === "") return undefined;
    return SESSION_ID.test(value) ? value : null;
  }
  return undefined;
}

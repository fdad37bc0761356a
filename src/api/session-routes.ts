// The console's sign-in routes: POST/GET/DELETE /api/v1/session, and a user's console password.
// HTTP only: the session service (auth/sessions.ts) and the password service (admin/passwords.ts)
// do the work.
import { z } from "zod";
import { invalid } from "../admin/errors.js";
import type { PasswordAdmin } from "../admin/passwords.js";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "../auth/password-hash.js";
import type { SessionService, SessionView } from "../auth/sessions.js";
import { RegistryError } from "../registry/errors.js";
import type { Route } from "./route.js";

const signIn = z.strictObject({
  login: z.string().min(1).max(300).describe("<namespace>/<user>"),
  secret: z.string().min(1).max(MAX_PASSWORD_LENGTH).describe("an auth token of the user, or their console password"),
});

const setPassword = z.strictObject({
  password: z.string().max(MAX_PASSWORD_LENGTH).describe(`the new console password, at least ${MIN_PASSWORD_LENGTH} characters`),
});

const session = z.object({
  user: z.string().describe("<namespace>/<user>"),
  tenancy: z.string(),
  groups: z.array(z.string()),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime().describe("the absolute end; a session unused for auth.session.idle ends sooner"),
  csrfToken: z.string().describe("send it as X-CSRF-Token with every POST, PUT, PATCH and DELETE made with the session cookie"),
});

/**
 * The routes for every admin API (served or in-process). Without `sessions` (auth off) only the
 * console password's, so the offline CLI can set one all the same.
 */
export function sessionRoutes(sessions: SessionService | undefined, passwords: PasswordAdmin): Route[] {
  const password = passwordRoute(sessions, passwords);
  if (!sessions) return [password];
  return [
    {
      method: "POST",
      path: "/session",
      summary: "Sign in to the console with an auth token or the console password; sets the session cookie",
      access: "public",
      body: signIn,
      response: session,
      status: 201,
      action: async ({ body, address, headers, setHeader }) => {
        // An HTML form on another site can post text/plain that parses as JSON, and sign a browser
        // in as the attacker (login CSRF); forms cannot send application/json.
        const type = headers["content-type"];
        if (type !== undefined && !/^application\/json\s*(;|$)/i.test(type)) {
          throw invalid("sign in with Content-Type: application/json", { contentType: type.slice(0, 100) });
        }
        const { session, cookie } = await sessions.signIn(body.login, body.secret, address ?? "unknown", headers);
        setHeader("Set-Cookie", cookie);
        return view(session);
      },
    },
    {
      method: "GET",
      path: "/session",
      summary: "The console session the cookie carries",
      access: "authenticated",
      response: session,
      status: 200,
      action: async ({ headers }) => {
        const current = await sessions.current(headers);
        if (!current) throw new RegistryError("UNAUTHORIZED", "no console session; sign in with POST /api/v1/session");
        return view(current);
      },
    },
    {
      method: "DELETE",
      path: "/session",
      summary: "Sign out: ends the session the cookie carries, on every node",
      access: "authenticated",
      status: 204,
      action: async ({ headers, address, setHeader }) => {
        // Checked here too: with Basic credentials the router asked nothing of the cookie.
        await sessions.authenticateSession({ method: "DELETE", headers });
        setHeader("Set-Cookie", await sessions.signOut(headers, address));
      },
    },
    password,
  ];
}

function passwordRoute(sessions: SessionService | undefined, passwords: PasswordAdmin): Route {
  return {
    method: "PUT",
    path: "/tenancies/{ns}/users/{user}/console-password",
    summary: "Set a user's console password (the user, or an Administrator of the tenancy); ends the user's other sessions",
    access: { operation: "SetConsolePassword", target: ({ params }) => ({ kind: "user", tenancy: params.ns!, user: params.user! }) },
    body: setPassword,
    status: 204,
    action: async ({ principal, params, body, headers }) => {
      // The session the user changes their own password from stays; every other one ends.
      const current = await sessions?.current(headers).catch(() => undefined);
      const own = principal.kind === "user" && current?.principal.userId === principal.userId && principal.name === `${params.ns}/${params.user}`;
      const keep = own ? current!.idHash : undefined;
      await passwords.set(principal, params.ns!, params.user!, body.password, keep);
    },
  };
}

function view(s: SessionView) {
  return {
    user: s.principal.name,
    tenancy: s.principal.tenancy,
    groups: s.principal.groups,
    createdAt: s.createdAt,
    expiresAt: s.expiresAt,
    csrfToken: s.csrfToken,
  };
}

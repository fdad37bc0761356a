// The console session: who is signed in (GET/POST/DELETE /api/v1/session), the CSRF token the
// client sends with writes, and what happens when a session ends (back to sign-in, then back here).
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, useSyncExternalStore, type ReactNode } from "react";
import { api, ApiError, configureClient } from "../api/client";
import type { SessionInfo } from "../api/types";
import { currentPath, navigate } from "../app/router";
import { askPermission, forgetPermissions, permission, subscribePermissions, type CanTarget } from "./permissions";

export interface Session {
  /** "<namespace>/<user>" */
  user: string;
  tenancy: string;
  userName: string;
  groups: string[];
  expiresAt: string;
  signOut(): Promise<void>;
}

export const SESSION_ENDED = "Your session has ended; sign in again.";

type State = { kind: "loading" } | { kind: "signed-out"; notice?: string } | { kind: "signed-in"; info: SessionInfo };

interface SessionControl {
  state: State;
  signIn(login: string, secret: string): Promise<void>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionControl | undefined>(undefined);

let csrfToken: string | undefined;

/** `/sign-in?next=<where we were>`, unless we are already there. */
function signInPath(): string {
  const here = currentPath();
  if (here.startsWith("/sign-in")) return here;
  return `/sign-in?next=${encodeURIComponent(here)}`;
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<State>({ kind: "loading" });
  const stateRef = useRef(state);
  stateRef.current = state;

  const ended = useCallback(() => {
    if (stateRef.current.kind !== "signed-in") return;
    stateRef.current = { kind: "signed-out", notice: SESSION_ENDED };
    csrfToken = undefined;
    forgetPermissions();
    navigate(signInPath(), { replace: true });
    setState(stateRef.current);
  }, []);

  useEffect(() => {
    configureClient({ csrfToken: () => csrfToken, unauthorized: ended });
  }, [ended]);

  const adopt = useCallback((info: SessionInfo) => {
    csrfToken = info.csrfToken;
    forgetPermissions();
    setState({ kind: "signed-in", info });
  }, []);

  useEffect(() => {
    let cancelled = false;
    api.get<SessionInfo>("/session").then(
      (info) => !cancelled && adopt(info),
      () => {
        if (cancelled) return;
        if (!currentPath().startsWith("/sign-in")) navigate(signInPath(), { replace: true });
        setState({ kind: "signed-out" });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [adopt]);

  // Back at a tab left open for hours, or at the session's hard end: learn it now, not at the next click.
  const signedIn = state.kind === "signed-in" ? state.info : undefined;
  useEffect(() => {
    if (!signedIn) return;
    const check = () => void api.get<SessionInfo>("/session").catch(() => undefined);
    const visible = () => document.visibilityState === "visible" && check();
    document.addEventListener("visibilitychange", visible);
    const until = Date.parse(signedIn.expiresAt) - Date.now();
    // setTimeout holds at most about 24.8 days.
    const timer = until > 0 && until < 2 ** 31 - 1 ? window.setTimeout(check, until + 1000) : undefined;
    return () => {
      document.removeEventListener("visibilitychange", visible);
      if (timer !== undefined) window.clearTimeout(timer);
    };
  }, [signedIn]);

  const signIn = useCallback(
    async (login: string, secret: string) => {
      adopt(await api.post<SessionInfo>("/session", { login, secret }));
    },
    [adopt],
  );

  const signOut = useCallback(async () => {
    try {
      await api.delete("/session");
    } catch (err) {
      // An already ended session is signed out all the same.
      if (!(err instanceof ApiError && err.status === 401)) throw err;
    }
    csrfToken = undefined;
    forgetPermissions();
    navigate("/sign-in", { replace: true });
    setState({ kind: "signed-out" });
  }, []);

  const control = useMemo(() => ({ state, signIn, signOut }), [state, signIn, signOut]);
  return <SessionContext.Provider value={control}>{children}</SessionContext.Provider>;
}

export function useSessionControl(): SessionControl {
  const control = useContext(SessionContext);
  if (!control) throw new Error("useSessionControl outside SessionProvider");
  return control;
}

/** The signed-in user; only pages inside the shell (rendered once signed in) may ask. */
export function useSession(): Session {
  const { state, signOut } = useSessionControl();
  if (state.kind !== "signed-in") throw new Error("useSession without a session");
  const { user, tenancy, groups, expiresAt } = state.info;
  return { user, tenancy, userName: user.slice(user.indexOf("/") + 1), groups, expiresAt, signOut };
}

/** Whether the signed-in user may do `operation` (on `target`); undefined while asking. */
/** Whether the user may do any of `operations` (on their tenancy): true, false, or undefined while asking. */
export function useCanAny(operations: readonly string[]): boolean | undefined {
  const key = operations.join(",");
  const value = useSyncExternalStore(subscribePermissions, () => {
    const answers = operations.map((o) => permission(o));
    return answers.includes(true) ? true : answers.every((a) => a === false) ? false : undefined;
  });
  useEffect(() => {
    for (const operation of key.split(",")) askPermission(operation);
  }, [key, value]);
  return value;
}

export function useCan(operation: string, target?: CanTarget): boolean | undefined {
  const value = useSyncExternalStore(subscribePermissions, () => permission(operation, target));
  const repository = target?.repository;
  const user = target?.user;
  const group = target?.group;
  useEffect(() => {
    askPermission(operation, { repository, user, group });
  }, [operation, repository, user, group, value]);
  return value;
}

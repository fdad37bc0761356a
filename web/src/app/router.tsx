// The console's router: the History API under /console, a location store React subscribes to,
// and path patterns with `:x` (one segment) and `:x*` (the rest).
import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from "react";
import type { PageRoute, RouteParams } from "./route-types";

export const BASE = "/console";

const listeners = new Set<() => void>();
/** Navigations since the page loaded: the first render keeps the browser's focus (skip link first). */
let navigations = 0;

function notify(): void {
  navigations += 1;
  for (const listener of listeners) listener();
}

window.addEventListener("popstate", notify);

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The path relative to /console, with its query (e.g. "/repositories?q=web"). */
function snapshot(): string {
  const { pathname, search } = window.location;
  const path = pathname === BASE || pathname.startsWith(`${BASE}/`) ? pathname.slice(BASE.length) : pathname;
  return (path || "/") + search;
}

export interface Location {
  /** relative to /console, still encoded */
  path: string;
  search: string;
}

export function useLocation(): Location {
  const current = useSyncExternalStore(subscribe, snapshot);
  const q = current.indexOf("?");
  return q < 0 ? { path: current, search: "" } : { path: current.slice(0, q), search: current.slice(q) };
}

/** The current location's path and query, relative to /console (for `next=`). */
export function currentPath(): string {
  return snapshot();
}

export function hasNavigated(): boolean {
  return navigations > 0;
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = BASE + (to.startsWith("/") ? to : `/${to}`);
  if (options.replace) window.history.replaceState(null, "", url);
  else window.history.pushState(null, "", url);
  notify();
}

export function useQuery(): URLSearchParams {
  return new URLSearchParams(useLocation().search);
}

/** Replaces the current location's query (filters live in the URL; no new history entry). */
export function setQuery(params: URLSearchParams | Record<string, string | undefined>): void {
  const search = params instanceof URLSearchParams ? params : new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ""));
  const text = search.toString();
  navigate(pathOnly() + (text ? `?${text}` : ""), { replace: true });
}

function pathOnly(): string {
  const current = snapshot();
  const q = current.indexOf("?");
  return q < 0 ? current : current.slice(0, q);
}

export interface LinkProps extends Omit<AnchorHTMLAttributes<HTMLAnchorElement>, "href"> {
  /** relative to /console */
  to: string;
  replace?: boolean;
}

export function Link({ to, replace, onClick, ...rest }: LinkProps) {
  const click = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    // A modified click (new tab, download) stays the browser's.
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to, { replace });
  };
  return <a {...rest} href={BASE + to} onClick={click} />;
}

/** The params of `path` (relative to /console, encoded) under `pattern`, or undefined. */
export function matchPath(pattern: string, path: string): RouteParams | undefined {
  const want = pattern.split("/").filter(Boolean);
  const have = path.split("/").filter(Boolean);
  const params: RouteParams = {};
  for (let i = 0; i < want.length; i++) {
    const segment = want[i]!;
    if (segment.startsWith(":") && segment.endsWith("*")) {
      const rest = have.slice(i);
      if (rest.length === 0) return undefined;
      const value = decode(rest.join("/"));
      if (value === undefined) return undefined;
      params[segment.slice(1, -1)] = value;
      return params;
    }
    const part = have[i];
    if (part === undefined) return undefined;
    if (segment.startsWith(":")) {
      const value = decode(part);
      if (value === undefined) return undefined;
      params[segment.slice(1)] = value;
    } else if (segment !== part) {
      return undefined;
    }
  }
  return want.length === have.length ? params : undefined;
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** The first route matching `path`, with its params. */
export function findRoute(routes: readonly PageRoute[], path: string): { route: PageRoute; params: RouteParams } | undefined {
  for (const route of routes) {
    const params = matchPath(route.path, path);
    if (params) return { route, params };
  }
  return undefined;
}

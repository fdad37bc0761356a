// The shape each area exports from web/src/pages/<area>/routes.tsx.
import type { ReactNode } from "react";

export interface NavEntry {
  label: string;
  /** relative to /console */
  to: string;
  /** hidden when set and the signed-in user may do none of them */
  operations?: readonly string[];
}

/** `:x` matches one segment, `:x*` the rest (slashes included); values are decoded. */
export type RouteParams = Record<string, string>;

export interface PageRoute {
  path: string;
  render: (params: RouteParams) => ReactNode;
}

export interface AreaRoutes {
  nav: NavEntry[];
  pages: PageRoute[];
}

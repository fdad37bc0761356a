// Placeholder: the Account area's owner replaces this file with the area's pages.
import type { AreaRoutes } from "../../app/route-types";
import { Page } from "../../components/Page";

export const routes: AreaRoutes = {
  // The user menu links here; no side-nav entry.
  nav: [],
  pages: [{ path: "/account", render: () => <Page title="Account">{null}</Page> }],
};

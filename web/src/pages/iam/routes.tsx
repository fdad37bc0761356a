// Placeholder: the Users area's owner replaces this file with the area's pages.
import type { AreaRoutes } from "../../app/route-types";
import { Page } from "../../components/Page";

export const routes: AreaRoutes = {
  nav: [{ label: "Users", to: "/iam/users", operation: "ListUsers" }],
  pages: [{ path: "/iam/users", render: () => <Page title="Users">{null}</Page> }],
};

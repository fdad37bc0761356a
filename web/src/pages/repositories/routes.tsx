// Placeholder: the Repositories area's owner replaces this file with the area's pages.
import type { AreaRoutes } from "../../app/route-types";
import { Page } from "../../components/Page";

export const routes: AreaRoutes = {
  nav: [{ label: "Repositories", to: "/repositories", operation: "ListDockerRepositories" }],
  pages: [{ path: "/repositories", render: () => <Page title="Repositories">{null}</Page> }],
};

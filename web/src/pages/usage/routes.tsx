// Placeholder: the Usage area's owner replaces this file with the area's pages.
import type { AreaRoutes } from "../../app/route-types";
import { Page } from "../../components/Page";

export const routes: AreaRoutes = {
  nav: [{ label: "Usage", to: "/usage", operation: "ReadUsage" }],
  pages: [{ path: "/usage", render: () => <Page title="Usage">{null}</Page> }],
};

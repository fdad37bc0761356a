// Placeholder: the Image retention area's owner replaces this file with the area's pages.
import type { AreaRoutes } from "../../app/route-types";
import { Page } from "../../components/Page";

export const routes: AreaRoutes = {
  nav: [{ label: "Image retention", to: "/settings/retention", operation: "GetRetentionPolicy" }],
  pages: [{ path: "/settings/retention", render: () => <Page title="Image retention">{null}</Page> }],
};

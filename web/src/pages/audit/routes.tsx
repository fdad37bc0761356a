// Placeholder: the Audit log area's owner replaces this file with the area's pages.
import type { AreaRoutes } from "../../app/route-types";
import { Page } from "../../components/Page";

export const routes: AreaRoutes = {
  nav: [{ label: "Audit log", to: "/audit", operation: "ReadAuditEvents" }],
  pages: [{ path: "/audit", render: () => <Page title="Audit log">{null}</Page> }],
};

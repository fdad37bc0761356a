import type { AreaRoutes } from "../../app/route-types";
import { AuditPage } from "./AuditPage";

export const routes: AreaRoutes = {
  nav: [{ label: "Audit log", to: "/audit", operations: ["ReadAuditEvents"] }],
  pages: [{ path: "/audit", render: () => <AuditPage /> }],
};

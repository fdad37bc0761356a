import type { AreaRoutes } from "../../app/route-types";
import { RetentionPage } from "./RetentionPage";

export const routes: AreaRoutes = {
  nav: [{ label: "Retention", to: "/settings/retention", operations: ["GetRetentionPolicy"] }],
  pages: [{ path: "/settings/retention", render: () => <RetentionPage /> }],
};

import type { AreaRoutes } from "../../app/route-types";
import { UsagePage } from "./UsagePage";

export const routes: AreaRoutes = {
  nav: [{ label: "Usage", to: "/usage", operations: ["ReadUsage"] }],
  pages: [{ path: "/usage", render: () => <UsagePage /> }],
};

import type { AreaRoutes } from "../../app/route-types";
import { AccountPage } from "./AccountPage";
import "../iam/iam.css";

// No nav entry: the header's user menu links /account.
export const routes: AreaRoutes = {
  nav: [],
  pages: [{ path: "/account", render: () => <AccountPage /> }],
};

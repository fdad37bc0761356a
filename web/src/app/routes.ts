// The console's route table: every area's routes, in side-nav order. Areas own their routes.tsx.
import type { NavEntry, PageRoute } from "./route-types";
import { routes as repositories } from "../pages/repositories/routes";
import { routes as iam } from "../pages/iam/routes";
import { routes as retention } from "../pages/retention/routes";
import { routes as usage } from "../pages/usage/routes";
import { routes as audit } from "../pages/audit/routes";
import { routes as account } from "../pages/account/routes";

const areas = [repositories, iam, retention, usage, audit, account];

export const navEntries: NavEntry[] = areas.flatMap((area) => area.nav);
export const pageRoutes: PageRoute[] = areas.flatMap((area) => area.pages);

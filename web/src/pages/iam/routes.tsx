import { useEffect } from "react";
import type { AreaRoutes } from "../../app/route-types";
import { navigate } from "../../app/router";
import { GroupList } from "./GroupList";
import { GroupPage } from "./GroupPage";
import { links } from "./paths";
import { PolicyList } from "./PolicyList";
import { PolicyPage } from "./PolicyPage";
import { UserList } from "./UserList";
import { UserPage } from "./UserPage";
import "./iam.css";

function ToUsers() {
  useEffect(() => navigate(links.users, { replace: true }), []);
  return null;
}

// Only a tenancy's Administrators (and operators) may list users: the nav entry follows ListUsers.
// It points at /iam (which opens Users) so that it stays marked on every Identity page.
export const routes: AreaRoutes = {
  nav: [{ label: "Identity", to: "/iam", operation: "ListUsers" }],
  pages: [
    { path: "/iam", render: () => <ToUsers /> },
    { path: "/iam/users", render: () => <UserList /> },
    { path: "/iam/users/:user", render: ({ user }) => <UserPage key={user} user={user!} /> },
    { path: "/iam/groups", render: () => <GroupList /> },
    { path: "/iam/groups/:group", render: ({ group }) => <GroupPage key={group} group={group!} /> },
    { path: "/iam/policies", render: () => <PolicyList /> },
    { path: "/iam/policies/:policy", render: ({ policy }) => <PolicyPage key={policy} policy={policy!} /> },
  ],
};

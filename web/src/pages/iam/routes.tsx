import { useEffect } from "react";
import type { AreaRoutes } from "../../app/route-types";
import { navigate } from "../../app/router";
import { GroupList } from "./GroupList";
import { IAM_SECTIONS, useSections } from "./IamNav";
import { GroupPage } from "./GroupPage";
import { PolicyList } from "./PolicyList";
import { PolicyPage } from "./PolicyPage";
import { UserList } from "./UserList";
import { UserPage } from "./UserPage";
import "./iam.css";

/** /iam opens the first section the user may list, once the answers are in (Users, with the API's refusal, if none). */
function ToFirstSection() {
  const sections = useSections();
  const first = sections.every((s) => s.allowed !== undefined) ? (sections.find((s) => s.allowed) ?? sections[0]!).to : undefined;
  useEffect(() => {
    if (first) navigate(first, { replace: true });
  }, [first]);
  return null;
}

// Administrators, and whoever a policy lets list users, groups or policies (OCI's `inspect users`,
// `inspect groups`, `inspect policies`). The entry points at /iam so that it stays marked on every
// Identity page.
export const routes: AreaRoutes = {
  nav: [{ label: "Identity", to: "/iam", operations: IAM_SECTIONS.map((s) => s.operation) }],
  pages: [
    { path: "/iam", render: () => <ToFirstSection /> },
    { path: "/iam/users", render: () => <UserList /> },
    { path: "/iam/users/:user", render: ({ user }) => <UserPage key={user} user={user!} /> },
    { path: "/iam/groups", render: () => <GroupList /> },
    { path: "/iam/groups/:group", render: ({ group }) => <GroupPage key={group} group={group!} /> },
    { path: "/iam/policies", render: () => <PolicyList /> },
    { path: "/iam/policies/:policy", render: ({ policy }) => <PolicyPage key={policy} policy={policy!} /> },
  ],
};

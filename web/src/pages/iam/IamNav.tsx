// The Identity area's sub-navigation: Users, Groups, Policies, each shown to those who may list it.
import { Link, useLocation } from "../../app/router";
import { useCan } from "../../session/session";
import { links } from "./paths";

export const IAM_SECTIONS = [
  { label: "Users", to: links.users, operation: "ListUsers" },
  { label: "Groups", to: links.groups, operation: "ListGroups" },
  { label: "Policies", to: links.policies, operation: "ListPolicies" },
] as const;

/** Each section with whether the signed-in user may list it (undefined while asking). */
export function useSections() {
  const users = useCan("ListUsers");
  const groups = useCan("ListGroups");
  const policies = useCan("ListPolicies");
  const allowed = [users, groups, policies];
  return IAM_SECTIONS.map((s, i) => ({ ...s, allowed: allowed[i] }));
}

export function IamNav() {
  const { path } = useLocation();
  return (
    <nav className="iam-nav" aria-label="Identity">
      <ul>
        {useSections()
          .filter((s) => s.allowed !== false)
          .map((s) => {
            const current = path === s.to || path.startsWith(`${s.to}/`);
            return (
              <li key={s.to}>
                <Link to={s.to} className={current ? "iam-nav-link is-current" : "iam-nav-link"} aria-current={current ? "page" : undefined}>
                  {s.label}
                </Link>
              </li>
            );
          })}
      </ul>
    </nav>
  );
}

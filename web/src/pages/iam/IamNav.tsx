// The Identity area's sub-navigation: Users, Groups, Policies.
import { Link, useLocation } from "../../app/router";
import { links } from "./paths";

const SECTIONS = [
  { label: "Users", to: links.users },
  { label: "Groups", to: links.groups },
  { label: "Policies", to: links.policies },
];

export function IamNav() {
  const { path } = useLocation();
  return (
    <nav className="iam-nav" aria-label="Identity">
      <ul>
        {SECTIONS.map((s) => {
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

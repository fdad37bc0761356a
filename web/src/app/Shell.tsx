// The frame around every page: skip link, header (product, tenancy, user menu), side nav, main.
import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import { CopyButton } from "../components/CopyButton";
import { Toasts } from "../components/Toasts";
import { toast } from "../components/toast";
import { useCanAny, useSession } from "../session/session";
import { Link, useLocation } from "./router";
import type { NavEntry } from "./route-types";
import { registryHost } from "./registry-host";
import { navEntries } from "./routes";

export function Shell({ children }: { children: ReactNode }) {
  const session = useSession();
  const main = useRef<HTMLElement>(null);
  return (
    <div className="shell">
      <a
        className="skip-link"
        href="#main"
        onClick={(event) => {
          event.preventDefault();
          main.current?.focus();
        }}
      >
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/repositories" className="brand">
          Berth
        </Link>
        <span className="tenancy" title="Your tenancy">
          <span className="visually-hidden">Tenancy: </span>
          {session.tenancy}
        </span>
        <UserMenu />
      </header>
      <div className="body">
        <nav className="sidenav" aria-label="Console">
          <ul>
            {navEntries.map((entry) => (
              <NavItem key={entry.to} entry={entry} />
            ))}
          </ul>
        </nav>
        <main id="main" ref={main} tabIndex={-1} className="main">
          {children}
        </main>
      </div>
      <Toasts />
    </div>
  );
}

function NavItem({ entry }: { entry: NavEntry }) {
  return entry.operations ? <GuardedNavItem entry={entry} operations={entry.operations} /> : <NavLink entry={entry} />;
}

function GuardedNavItem({ entry, operations }: { entry: NavEntry; operations: readonly string[] }) {
  // Shown while asking: hiding, then showing, would make the nav jump under the pointer.
  return useCanAny(operations) === false ? null : <NavLink entry={entry} />;
}

function NavLink({ entry }: { entry: NavEntry }) {
  const { path } = useLocation();
  const active = path === entry.to || path.startsWith(`${entry.to}/`) || (entry.to.startsWith("/iam/") && path.startsWith("/iam/") && areaOf(path) === areaOf(entry.to));
  return (
    <li>
      <Link to={entry.to} aria-current={active ? "page" : undefined} className="nav-link">
        {entry.label}
      </Link>
    </li>
  );
}

const areaOf = (path: string) => path.split("/").slice(0, 3).join("/");

function UserMenu() {
  const session = useSession();
  const [open, setOpen] = useState(false);
  const menuId = useId();
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    const outside = (event: MouseEvent) => {
      if (!root.current?.contains(event.target as Node)) setOpen(false);
    };
    const escape = (event: KeyboardEvent) => {
      if (event.key === "Escape") {
        setOpen(false);
        button.current?.focus();
      }
    };
    document.addEventListener("mousedown", outside);
    document.addEventListener("keydown", escape);
    return () => {
      document.removeEventListener("mousedown", outside);
      document.removeEventListener("keydown", escape);
    };
  }, [open]);

  const signOut = async () => {
    setOpen(false);
    try {
      await session.signOut();
    } catch (err) {
      toast(`Sign out failed: ${(err as Error).message}`);
    }
  };

  return (
    <div className="user-menu" ref={root}>
      <button ref={button} type="button" className="user-button" aria-expanded={open} aria-controls={menuId} onClick={() => setOpen(!open)}>
        <span className="visually-hidden">Signed in as </span>
        {session.user}
      </button>
      <ul id={menuId} className="user-menu-list" hidden={!open}>
        <li>
          <Link to="/account" onClick={() => setOpen(false)}>
            Account
          </Link>
        </li>
        <li className="user-menu-login">
          <code>docker login {registryHost()} -u {session.user}</code>
          <CopyButton text={`docker login ${registryHost()} -u ${session.user}`} label="Copy docker login command" />
        </li>
        <li>
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        </li>
      </ul>
    </div>
  );
}

import { useEffect, useRef, type ReactNode } from "react";
import { hasNavigated } from "../app/router";

export interface PageProps {
  title: string;
  description?: ReactNode;
  actions?: ReactNode;
  children?: ReactNode;
}

/** A page: its <h1>, focused after a navigation so screen readers announce the new page. */
export function Page({ title, description, actions, children }: PageProps) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Berth`;
  }, [title]);
  useEffect(() => {
    // On the first load the browser's own focus order stays (the skip link comes first).
    if (hasNavigated()) heading.current?.focus({ preventScroll: false });
  }, []);
  return (
    <div className="page">
      <header className="page-header">
        <div className="page-heading">
          <h1 ref={heading} tabIndex={-1}>
            {title}
          </h1>
          {description !== undefined && <p className="page-description">{description}</p>}
        </div>
        {actions !== undefined && <div className="page-actions">{actions}</div>}
      </header>
      {children}
    </div>
  );
}

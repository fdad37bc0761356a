// The app: the session decides between the sign-in page and the shell; the shell's main area
// shows the route's page.
import { useEffect } from "react";
import { Loading } from "../components/Loading";
import { Page } from "../components/Page";
import { Link, findRoute, navigate, useLocation } from "./router";
import { pageRoutes } from "./routes";
import { Shell } from "./Shell";
import { HOME, SignIn, safeNext } from "../session/SignIn";
import { SessionProvider, useSessionControl } from "../session/session";

export function App() {
  return (
    <SessionProvider>
      <Screens />
    </SessionProvider>
  );
}

function Screens() {
  const { state } = useSessionControl();
  const { path, search } = useLocation();
  const signedIn = state.kind === "signed-in";
  const atSignIn = path === "/sign-in";

  useEffect(() => {
    if (signedIn && (path === "/" || path === "")) navigate(HOME, { replace: true });
    // Signed in already (another tab, a bookmark): the sign-in page only forwards.
    else if (signedIn && atSignIn) navigate(safeNext(new URLSearchParams(search).get("next")), { replace: true });
  }, [signedIn, atSignIn, path, search]);

  if (state.kind === "loading") return <Loading label="Loading Berth…" />;
  if (state.kind === "signed-out") return <SignIn notice={state.notice} />;
  if (atSignIn || path === "/" || path === "") return <Loading />;
  return (
    <Shell>
      <RoutedPage path={path} />
    </Shell>
  );
}

function RoutedPage({ path }: { path: string }) {
  const found = findRoute(pageRoutes, path);
  // A new key per path: a page's state (and its heading focus) starts afresh on each navigation.
  if (found) return <div key={path}>{found.route.render(found.params)}</div>;
  return (
    <Page key={path} title="Page not found">
      <p>
        Nothing lives at this address. <Link to={HOME}>Go to the repositories</Link>.
      </p>
    </Page>
  );
}

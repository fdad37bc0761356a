// /account: the signed-in user's own auth tokens and console password.
import { registryHost } from "../../app/registry-host";
import { CopyButton } from "../../components/CopyButton";
import { Page } from "../../components/Page";
import { useSession } from "../../session/session";
import { AuthTokens } from "./AuthTokens";
import { ConsolePasswordForm } from "./ConsolePasswordForm";

export function AccountPage() {
  const { tenancy, userName, user } = useSession();
  const login = `docker login ${registryHost()} -u ${user}`;
  return (
    <Page title="My account" description={`Signed in as ${user}.`}>
      <section className="iam-section" aria-labelledby="account-tokens">
        <h2 id="account-tokens">My auth tokens</h2>
        <div className="iam-secret-row">
          <code>{login}</code>
          <CopyButton text={login} label="Copy login command" />
        </div>
        <AuthTokens tenancy={tenancy} user={userName} />
      </section>
      <section className="iam-section" aria-labelledby="account-password">
        <h2 id="account-password">My console password</h2>
        <p className="iam-muted">A password for this console only (registry clients use auth tokens). Setting it ends your other console sessions.</p>
        <ConsolePasswordForm tenancy={tenancy} user={userName} />
      </section>
    </Page>
  );
}

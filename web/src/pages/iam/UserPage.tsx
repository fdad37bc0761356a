// Identity → Users → one user: their groups, their auth tokens, their console password.
import { useCallback, useState } from "react";
import { api } from "../../api/client";
import { useAction, useApi } from "../../api/hooks";
import { Link, navigate } from "../../app/router";
import { Button } from "../../components/Button";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { DataTable } from "../../components/DataTable";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import { Page } from "../../components/Page";
import { Select } from "../../components/Select";
import { toast } from "../../components/toast";
import { formatTime } from "../../format";
import { useCan, useSession } from "../../session/session";
import { AuthTokens } from "../account/AuthTokens";
import { ConsolePasswordForm } from "../account/ConsolePasswordForm";
import { IamNav } from "./IamNav";
import { loadAll } from "./load-all";
import { apiPaths, links } from "./paths";
import type { Group, UserDetail } from "../../api/types";
import { useLoaded } from "./use-loaded";
import { actionsColumn } from "./actions-column";

export function UserPage({ user }: { user: string }) {
  const session = useSession();
  const tenancy = session.tenancy;
  const detail = useApi<UserDetail>(apiPaths.user(tenancy, user));
  const canDelete = useCan("DeleteUser", { user });
  const canUnlock = useCan("UnlockUser", { user });
  const canSetPassword = useCan("SetConsolePassword", { user });
  const [deleting, setDeleting] = useState(false);
  const self = session.userName === user;

  return (
    <Page
      title={user}
      description={detail.data?.user.description || `User ${tenancy}/${user}`}
      actions={
        <>
          {canUnlock && (
            <Button
              variant="plain"
              title="Lift the failed-login throttle"
              onClick={() =>
                void api.post(apiPaths.unlock(tenancy, user), {}).then(
                  () => toast(`Failed-login throttle of ${user} lifted`),
                  (err: Error) => toast(err.message),
                )
              }
            >
              Unlock
            </Button>
          )}
          {canDelete && !self && (
            <Button variant="danger" onClick={() => setDeleting(true)}>
              Delete user
            </Button>
          )}
        </>
      }
    >
      <IamNav />
      <p className="iam-breadcrumb">
        <Link to={links.users}>Users</Link> / {user}
      </p>
      <ErrorMessage error={detail.error} />
      {detail.loading && !detail.data && <Loading />}
      {detail.data && (
        <>
          <p className="iam-muted">
            Signs in as <code>{`${tenancy}/${user}`}</code>; created {formatTime(detail.data.user.createdAt)}.
          </p>
          <Memberships tenancy={tenancy} user={user} groups={detail.data.groups} onChange={detail.reload} />
          <section className="iam-section" aria-labelledby="user-tokens">
            <h2 id="user-tokens">Auth tokens</h2>
            <AuthTokens tenancy={tenancy} user={user} />
          </section>
          {canSetPassword && (
            <section className="iam-section" aria-labelledby="user-password">
              <h2 id="user-password">Console password</h2>
              <p className="iam-muted">
                {self
                  ? "Your password for signing in to this console. Setting it ends your other console sessions."
                  : `A password ${user} can sign in to this console with. Setting it ends their console sessions.`}
              </p>
              <ConsolePasswordForm tenancy={tenancy} user={user} />
            </section>
          )}
        </>
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete user ${user}`}
          confirmLabel="Delete user"
          typeToConfirm={user}
          danger
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await api.delete(apiPaths.user(tenancy, user));
            toast(`User ${user} deleted`);
            navigate(links.users);
          }}
        >
          <p>{user} and their auth tokens are deleted; registry tokens obtained with them stop working at once.</p>
        </ConfirmDialog>
      )}
    </Page>
  );
}

/** The user's groups: remove one, or add them to another. */
function Memberships(props: { tenancy: string; user: string; groups: Group[]; onChange: () => void }) {
  const { tenancy, user, groups } = props;
  const canAdd = useCan("AddUserToGroup");
  const canRemove = useCan("RemoveUserFromGroup");
  const canListGroups = useCan("ListGroups");
  const all = useLoaded(canAdd && canListGroups ? `groups ${tenancy}` : null, useCallback(() => loadAll<Group>(apiPaths.groups(tenancy)), [tenancy]));
  const [choice, setChoice] = useState("");
  const action = useAction();
  const { busy, error } = action;
  const member = new Set(groups.map((g) => g.name));
  const candidates = (all.data ?? []).filter((g) => !member.has(g.name));
  // Nothing is chosen until the user picks: a default would put someone in Administrators by one click.
  const chosen = candidates.some((g) => g.name === choice) ? choice : "";

  const run = (write: () => Promise<unknown>, done: string) => action.run(write, done, props.onChange);

  return (
    <section className="iam-section" aria-labelledby="user-groups">
      <h2 id="user-groups">Groups</h2>
      <DataTable<Group>
        caption={`Groups of ${user}`}
        rows={groups}
        rowKey={(g) => g.id}
        empty={<p className="iam-muted">{user} is in no group yet, so no policy grants them anything.</p>}
        columns={[
          { key: "name", header: "Group", render: (g) => <Link to={links.group(g.name)}>{g.name}</Link> },
          { key: "description", header: "Description", render: (g) => g.description || "—" },
          ...actionsColumn<Group>(canRemove, (g) =>
            <Button
              variant="plain"
              disabled={busy}
              aria-label={`Remove ${user} from ${g.name}`}
              onClick={() => void run(() => api.delete(apiPaths.member(tenancy, g.name, user)), `${user} removed from ${g.name}`)}
            >
              Remove
            </Button>
          ),
        ]}
      />
      {canAdd && (
        <form
          className="iam-inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (chosen) void run(() => api.post(apiPaths.members(tenancy, chosen), { user }), `${user} added to ${chosen}`);
          }}
        >
          <Select label="Group" value={chosen} onChange={setChoice} options={[{ value: "", label: candidates.length ? "Choose a group…" : "No other group" }, ...candidates.map((g) => ({ value: g.name, label: g.name }))]} />
          <Button type="submit" disabled={busy || chosen === ""}>
            Add to group
          </Button>
        </form>
      )}
      <ErrorMessage error={error ?? all.error} />
    </section>
  );
}

// Identity → Groups → one group: its members; add one (picked from the tenancy's users), remove one.
import { useCallback, useState, type FormEvent } from "react";
import { api } from "../../api/client";
import { useAction, useList } from "../../api/hooks";
import { Link, navigate } from "../../app/router";
import { Button } from "../../components/Button";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { DataTable } from "../../components/DataTable";
import { ErrorMessage } from "../../components/ErrorMessage";
import { LoadMore } from "../../components/LoadMore";
import { Page } from "../../components/Page";
import { Select } from "../../components/Select";
import { toast } from "../../components/toast";
import { useCan, useSession } from "../../session/session";
import { isAdministrators } from "./administrators";
import { IamNav } from "./IamNav";
import { loadAll } from "./load-all";
import { apiPaths, links } from "./paths";
import type { User } from "../../api/types";
import { useLoaded } from "./use-loaded";
import { actionsColumn } from "./actions-column";

export function GroupPage({ group }: { group: string }) {
  const { tenancy } = useSession();
  const members = useList<User>(apiPaths.members(tenancy, group));
  const canAdd = useCan("AddUserToGroup", { group });
  const canRemove = useCan("RemoveUserFromGroup", { group });
  const canDelete = useCan("DeleteGroup", { group });
  const users = useLoaded(canAdd ? `users ${tenancy}` : null, useCallback(() => loadAll<User>(apiPaths.users(tenancy)), [tenancy]));
  const [choice, setChoice] = useState("");
  const action = useAction();
  const { busy, error } = action;
  const [deleting, setDeleting] = useState(false);

  const isMember = new Set(members.items.map((u) => u.name));
  const candidates = (users.data ?? []).filter((u) => !isMember.has(u.name));
  const chosen = candidates.some((u) => u.name === choice) ? choice : "";

  const run = (write: () => Promise<unknown>, done: string) => action.run(write, done, members.reload);

  function add(event: FormEvent) {
    event.preventDefault();
    if (chosen) void run(() => api.post(apiPaths.members(tenancy, group), { user: chosen }), `${chosen} added to ${group}`);
  }

  return (
    <Page
      title={group}
      description={isAdministrators(group) ? "Members may do everything in the tenancy." : `Group of tenancy ${tenancy}`}
      actions={
        canDelete &&
        !isAdministrators(group) && (
          <Button variant="danger" onClick={() => setDeleting(true)}>
            Delete group
          </Button>
        )
      }
    >
      <IamNav />
      <p className="iam-breadcrumb">
        <Link to={links.groups}>Groups</Link> / {group}
      </p>
      <ErrorMessage error={members.error} />
      <section className="iam-section" aria-labelledby="group-members">
        <h2 id="group-members">Members</h2>
        <DataTable<User>
          caption={`Members of ${group}`}
          rows={members.items}
          rowKey={(u) => u.id}
          empty={!members.loading && !members.error && <p className="iam-muted">No members yet.</p>}
          columns={[
            { key: "name", header: "User", render: (u) => <Link to={links.user(u.name)}>{u.name}</Link> },
            { key: "description", header: "Description", render: (u) => u.description || "—" },
            ...actionsColumn<User>(canRemove, (u) =>
              <Button
                variant="plain"
                disabled={busy}
                aria-label={`Remove ${u.name} from ${group}`}
                onClick={() => void run(() => api.delete(apiPaths.member(tenancy, group, u.name)), `${u.name} removed from ${group}`)}
              >
                Remove
              </Button>
            ),
          ]}
        />
        <LoadMore more={members.more} loading={members.loading} />
        {canAdd && !members.error && (
          <form className="iam-inline-form" onSubmit={add}>
            <Select label="User" value={chosen} onChange={setChoice} options={[{ value: "", label: candidates.length ? "Choose a user…" : "No other user" }, ...candidates.map((u) => ({ value: u.name, label: u.name }))]} />
            <Button type="submit" disabled={busy || chosen === ""}>
              Add member
            </Button>
          </form>
        )}
        <ErrorMessage error={error ?? users.error} />
      </section>
      {deleting && (
        <ConfirmDialog
          title={`Delete group ${group}`}
          confirmLabel="Delete group"
          typeToConfirm={group}
          danger
          onClose={() => setDeleting(false)}
          onConfirm={async () => {
            await api.delete(apiPaths.group(tenancy, group));
            toast(`Group ${group} deleted`);
            navigate(links.groups);
          }}
        >
          <p>Its members lose what policies grant the group, from their next request.</p>
        </ConfirmDialog>
      )}
    </Page>
  );
}

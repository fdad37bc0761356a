// Identity → Users: the tenancy's users with their groups; create, delete, unlock.
import { useState } from "react";
import { api } from "../../api/client";
import { useList } from "../../api/hooks";
import { navigate, Link } from "../../app/router";
import { Button } from "../../components/Button";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { DataTable } from "../../components/DataTable";
import { EmptyState } from "../../components/EmptyState";
import { ErrorMessage } from "../../components/ErrorMessage";
import { LoadMore } from "../../components/LoadMore";
import { Page } from "../../components/Page";
import { toast } from "../../components/toast";
import { formatTime } from "../../format";
import { useCan, useSession } from "../../session/session";
import { CreateNamedDialog } from "./CreateNamedDialog";
import { IamNav } from "./IamNav";
import { NAME_HINT } from "./names";
import { apiPaths, links } from "./paths";
import type { User } from "../../api/types";
import { useMemberships } from "./use-memberships";
import { actionsColumn } from "./actions-column";

export function UserList() {
  const { tenancy } = useSession();
  const users = useList<User>(apiPaths.users(tenancy));
  const canList = users.error === undefined;
  // Memberships come from the groups' member lists: only for those a policy lets read groups too.
  const mayListGroups = useCan("ListGroups");
  const mayListMembers = useCan("ListGroupMembers");
  const seesGroups = mayListGroups === true && mayListMembers === true;
  const memberships = useMemberships(tenancy, canList && seesGroups);
  const canCreate = useCan("CreateUser");
  const canDelete = useCan("DeleteUser");
  const canUnlock = useCan("UnlockUser");
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<User>();

  async function unlock(user: User) {
    await api.post(apiPaths.unlock(tenancy, user.name), {});
    toast(`Failed-login throttle of ${user.name} lifted`);
  }

  return (
    <Page
      title="Users"
      description={`The users of tenancy ${tenancy}. They sign in as ${tenancy}/<user> with an auth token or a console password.`}
      actions={
        canCreate && (
          <Button variant="primary" onClick={() => setCreating(true)}>
            Create user
          </Button>
        )
      }
    >
      <IamNav />
      <ErrorMessage error={users.error ?? memberships.error} />
      <DataTable<User>
        caption={`Users of ${tenancy}`}
        rows={users.items}
        rowKey={(u) => u.id}
        empty={
          !users.loading &&
          !users.error && (
            <EmptyState title="No users yet">Create a user, add them to a group, and generate an auth token for them.</EmptyState>
          )
        }
        columns={[
          { key: "name", header: "Name", render: (u) => <Link to={links.user(u.name)}>{u.name}</Link> },
          { key: "description", header: "Description", render: (u) => u.description || "—" },
          ...(mayListGroups === false || mayListMembers === false
            ? []
            : [
                {
                  key: "groups",
                  header: "Groups",
                  render: (u: User) => (memberships.data ? (memberships.data.get(u.name) ?? []).join(", ") || "—" : "…"),
                },
              ]),
          { key: "created", header: "Created", render: (u) => formatTime(u.createdAt) },
          ...actionsColumn<User>(canUnlock || canDelete, (u) => (
            <span className="iam-row-actions">
              {canUnlock && (
                <Button variant="plain" onClick={() => void unlock(u).catch((err: Error) => toast(err.message))} aria-label={`Unlock ${u.name}`} title="Lift the failed-login throttle">
                  Unlock
                </Button>
              )}
              {canDelete && (
                <Button variant="danger" onClick={() => setDeleting(u)} aria-label={`Delete ${u.name}`}>
                  Delete
                </Button>
              )}
            </span>
          )),
        ]}
      />
      <LoadMore more={users.more} loading={users.loading} />
      {creating && (
        <CreateNamedDialog
          title="Create user"
          submitLabel="Create user"
          nameHint={NAME_HINT}
          onClose={() => setCreating(false)}
          onCreate={async (input) => {
            const user = await api.post<User>(apiPaths.users(tenancy), input);
            setCreating(false);
            toast(`User ${user.name} created`);
            navigate(links.user(user.name));
          }}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete user ${deleting.name}`}
          confirmLabel="Delete user"
          typeToConfirm={deleting.name}
          danger
          onClose={() => setDeleting(undefined)}
          onConfirm={async () => {
            await api.delete(apiPaths.user(tenancy, deleting.name));
            setDeleting(undefined);
            toast(`User ${deleting.name} deleted`);
            users.reload();
            memberships.reload();
          }}
        >
          <p>
            {deleting.name} and their auth tokens are deleted; registry tokens obtained with them stop working at once. Their
            memberships go with them.
          </p>
        </ConfirmDialog>
      )}
    </Page>
  );
}

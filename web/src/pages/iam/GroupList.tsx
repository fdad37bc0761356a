// Identity → Groups: the tenancy's groups; create, delete.
import { useState } from "react";
import { api } from "../../api/client";
import { useList } from "../../api/hooks";
import { Link, navigate } from "../../app/router";
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
import { isAdministrators } from "./administrators";
import { NAME_HINT } from "./names";
import { apiPaths, links } from "./paths";
import type { Group } from "../../api/types";
import { actionsColumn } from "./actions-column";

export function GroupList() {
  const { tenancy } = useSession();
  const groups = useList<Group>(apiPaths.groups(tenancy));
  const canCreate = useCan("CreateGroup");
  const canDelete = useCan("DeleteGroup");
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<Group>();

  return (
    <Page
      title="Groups"
      description="Policies grant access to groups; a user has what their groups are granted. Members of Administrators may do everything in the tenancy."
      actions={
        canCreate && (
          <Button variant="primary" onClick={() => setCreating(true)}>
            Create group
          </Button>
        )
      }
    >
      <IamNav />
      <ErrorMessage error={groups.error} />
      <DataTable<Group>
        caption={`Groups of ${tenancy}`}
        rows={groups.items}
        rowKey={(g) => g.id}
        empty={!groups.loading && !groups.error && <EmptyState title="No groups yet">Create a group, then a policy that grants it access to repositories.</EmptyState>}
        columns={[
          { key: "name", header: "Name", render: (g) => <Link to={links.group(g.name)}>{g.name}</Link> },
          { key: "description", header: "Description", render: (g) => g.description || "—" },
          { key: "created", header: "Created", render: (g) => formatTime(g.createdAt) },
          ...actionsColumn<Group>(canDelete, (g) =>
            isAdministrators(g.name) ? null : (
              <Button variant="danger" onClick={() => setDeleting(g)} aria-label={`Delete ${g.name}`}>
                Delete
              </Button>
            ),
          ),
        ]}
      />
      <LoadMore more={groups.more} loading={groups.loading} />
      {creating && (
        <CreateNamedDialog
          title="Create group"
          submitLabel="Create group"
          nameHint={NAME_HINT}
          onClose={() => setCreating(false)}
          onCreate={async (input) => {
            const group = await api.post<Group>(apiPaths.groups(tenancy), input);
            setCreating(false);
            toast(`Group ${group.name} created`);
            navigate(links.group(group.name));
          }}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete group ${deleting.name}`}
          confirmLabel="Delete group"
          typeToConfirm={deleting.name}
          danger
          onClose={() => setDeleting(undefined)}
          onConfirm={async () => {
            await api.delete(apiPaths.group(tenancy, deleting.name));
            setDeleting(undefined);
            toast(`Group ${deleting.name} deleted`);
            groups.reload();
          }}
        >
          <p>Its members lose what policies grant the group, from their next request. The policies stay and name a group that is gone.</p>
        </ConfirmDialog>
      )}
    </Page>
  );
}

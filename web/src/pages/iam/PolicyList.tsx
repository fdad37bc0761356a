// Identity → Policies: the tenancy's policies; create (in the editor), delete.
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
import { IamNav } from "./IamNav";
import { apiPaths, links } from "./paths";
import type { Policy } from "../../api/types";
import { actionsColumn } from "./actions-column";

export function PolicyList() {
  const { tenancy } = useSession();
  const policies = useList<Policy>(apiPaths.policies(tenancy));
  const canCreate = useCan("CreatePolicy");
  const canDelete = useCan("DeletePolicy");
  const [deleting, setDeleting] = useState<Policy>();

  return (
    <Page
      title="Policies"
      description="Statements in OCI's policy language that grant groups access to the tenancy's repositories."
      actions={
        canCreate && (
          <Button variant="primary" onClick={() => navigate(links.newPolicy)}>
            Create policy
          </Button>
        )
      }
    >
      <IamNav />
      <ErrorMessage error={policies.error} />
      <DataTable<Policy>
        caption={`Policies of ${tenancy}`}
        rows={policies.items}
        rowKey={(p) => p.id}
        empty={
          !policies.loading &&
          !policies.error && (
            <EmptyState title="No policies yet">
              Only Administrators have access until a policy grants a group some, for example{" "}
              <code>Allow group Developers to use repos in tenancy</code>.
            </EmptyState>
          )
        }
        columns={[
          { key: "name", header: "Name", render: (p) => <Link to={links.policy(p.name)}>{p.name}</Link> },
          { key: "description", header: "Description", render: (p) => p.description || "—" },
          { key: "statements", header: "Statements", align: "end", render: (p) => p.statements.length },
          { key: "created", header: "Created", render: (p) => formatTime(p.createdAt) },
          ...actionsColumn<Policy>(canDelete, (p) =>
            <Button variant="danger" onClick={() => setDeleting(p)} aria-label={`Delete ${p.name}`}>
              Delete
            </Button>
          ),
        ]}
      />
      <LoadMore more={policies.more} loading={policies.loading} />
      {deleting && (
        <ConfirmDialog
          title={`Delete policy ${deleting.name}`}
          confirmLabel="Delete policy"
          typeToConfirm={deleting.name}
          danger
          onClose={() => setDeleting(undefined)}
          onConfirm={async () => {
            await api.delete(apiPaths.policy(tenancy, deleting.name));
            setDeleting(undefined);
            toast(`Policy ${deleting.name} deleted`);
            policies.reload();
          }}
        >
          <p>What its statements grant ends from the next request, on every node.</p>
        </ConfirmDialog>
      )}
    </Page>
  );
}

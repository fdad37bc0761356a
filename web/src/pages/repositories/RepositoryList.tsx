import { useState } from "react";
import { useList } from "../../api/hooks";
import type { Repository } from "../../api/types";
import { Link, navigate } from "../../app/router";
import { Button } from "../../components/Button";
import { DataTable } from "../../components/DataTable";
import { EmptyState } from "../../components/EmptyState";
import { ErrorMessage } from "../../components/ErrorMessage";
import { LoadMore } from "../../components/LoadMore";
import { Loading } from "../../components/Loading";
import { Page } from "../../components/Page";
import { formatBytes, formatTime } from "../../format";
import { useCan, useSession } from "../../session/session";
import { CreateRepositoryDialog } from "./CreateRepositoryDialog";
import { FilterBox, useFilter } from "./FilterBox";
import { matches } from "./matches";
import { repositoryPage } from "./names";
import { PushFirstImage } from "./PushFirstImage";
import { Visibility } from "./Visibility";

/** The repositories the caller may see: every tenancy's for an operator, their own tenancy's otherwise. */
export function RepositoryList() {
  const filter = useFilter("q");
  const { tenancy } = useSession();
  const list = useList<Repository>("/repositories", { filter: filter || undefined });
  const canCreate = useCan("CreateContainerRepository");
  const [creating, setCreating] = useState(false);
  // The server filters; the same test here keeps a page that was loaded before it changed honest.
  const rows = list.items.filter((r) => matches(r.name, filter));

  const columns = [
    { key: "name", header: "Name", render: (r: Repository) => <Link to={repositoryPage(r.name)}>{r.name}</Link> },
    { key: "visibility", header: "Visibility", render: (r: Repository) => <Visibility isPublic={r.isPublic} /> },
    { key: "images", header: "Images", align: "end" as const, render: (r: Repository) => r.manifests.toLocaleString("en-US") },
    { key: "tags", header: "Tags", align: "end" as const, render: (r: Repository) => r.tags.toLocaleString("en-US") },
    { key: "size", header: "Size", align: "end" as const, render: (r: Repository) => formatBytes(r.size) },
    { key: "pushed", header: "Last push", render: (r: Repository) => (r.lastPushedAt ? formatTime(r.lastPushedAt) : "never") },
  ];

  const newcomer = !list.loading && !list.error && list.items.length === 0 && !filter;
  return (
    <Page
      title="Repositories"
      description="The container repositories you may see."
      actions={canCreate ? <Button variant="primary" onClick={() => setCreating(true)}>Create repository</Button> : undefined}
    >
      <ErrorMessage error={list.error} />
      {newcomer ? (
        <PushFirstImage />
      ) : (
        <>
          <div className="repo-toolbar">
            <FilterBox label="Filter repositories" param="q" hint="Part of the name, any case" />
          </div>
          {list.loading && list.items.length === 0 ? (
            <Loading />
          ) : (
            <DataTable
              caption="Repositories"
              columns={columns}
              rows={rows}
              rowKey={(r) => r.name}
              empty={<EmptyState title="No repository matches">Nothing here has “{filter}” in its name.</EmptyState>}
            />
          )}
          <LoadMore more={list.more} loading={list.loading} />
        </>
      )}
      {creating && (
        <CreateRepositoryDialog
          namespace={tenancy}
          onClose={() => setCreating(false)}
          onCreated={(name) => navigate(repositoryPage(name))}
        />
      )}
    </Page>
  );
}

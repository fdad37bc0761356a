import { useEffect, useState } from "react";
import { api } from "../../api/client";
import { useList } from "../../api/hooks";
import type { Tag } from "../../api/types";
import { registryHost } from "../../app/registry-host";
import { Button } from "../../components/Button";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { CopyButton } from "../../components/CopyButton";
import { DataTable } from "../../components/DataTable";
import { EmptyState } from "../../components/EmptyState";
import { ErrorMessage } from "../../components/ErrorMessage";
import { LoadMore } from "../../components/LoadMore";
import { Loading } from "../../components/Loading";
import { toast } from "../../components/toast";
import { formatBytes, formatTime, shortDigest } from "../../format";
import { useCan } from "../../session/session";
import { FilterBox, useFilter } from "./FilterBox";
import { matches } from "./matches";
import { repositoryApi } from "./names";

/** Set once the first page of tags is in the DOM: what the bench times from navigation start. */
export const TAGS_RENDERED_MARK = "berth:tags-rendered";

/** A repository's tags, a page at a time (a repository may have thousands), filtered by name. */
export function TagsTab({ name, onChanged }: { name: string; onChanged(): void }) {
  const filter = useFilter("tag");
  const tags = useList<Tag>(`${repositoryApi(name)}/tags`, { filter: filter || undefined });
  const canDelete = useCan("DeleteTag", { repository: name });
  const [deleting, setDeleting] = useState<string>();
  const rows = tags.items.filter((t) => matches(t.name, filter));
  const image = `${registryHost()}/${name}`;

  useEffect(() => {
    if (rows.length > 0 && performance.getEntriesByName(TAGS_RENDERED_MARK).length === 0) performance.mark(TAGS_RENDERED_MARK);
  }, [rows.length]);

  const columns = [
    { key: "tag", header: "Tag", render: (t: Tag) => <code>{t.name}</code> },
    { key: "digest", header: "Digest", render: (t: Tag) => <code title={t.digest}>{shortDigest(t.digest)}</code> },
    { key: "size", header: "Size", align: "end" as const, render: (t: Tag) => formatBytes(t.size) },
    { key: "pushed", header: "Pushed", render: (t: Tag) => formatTime(t.pushedAt) },
    {
      key: "actions",
      header: "Actions",
      render: (t: Tag) => (
        <div className="repo-actions">
          <CopyButton text={`docker pull ${image}:${t.name}`} label={`Copy pull command for ${t.name}`} />
          {canDelete && (
            <Button variant="plain" onClick={() => setDeleting(t.name)} aria-label={`Delete tag ${t.name}`}>
              Delete
            </Button>
          )}
        </div>
      ),
    },
  ];

  return (
    <div className="repo-tab">
      <div className="repo-toolbar">
        <FilterBox label="Filter tags" param="tag" hint="Part of the tag, any case" />
      </div>
      <ErrorMessage error={tags.error} />
      {tags.loading && tags.items.length === 0 ? (
        <Loading />
      ) : (
        <DataTable
          caption={`Tags of ${name}`}
          columns={columns}
          rows={rows}
          rowKey={(t) => t.name}
          empty={<EmptyState title={filter ? "No tag matches" : "No tags"}>{filter ? `No tag has “${filter}” in its name.` : `Push one with docker push ${image}:<tag>.`}</EmptyState>}
        />
      )}
      <LoadMore more={tags.more} loading={tags.loading} />
      {deleting !== undefined && (
        <ConfirmDialog
          title={`Delete tag ${deleting}?`}
          confirmLabel="Delete tag"
          danger
          onClose={() => setDeleting(undefined)}
          onConfirm={async () => {
            await api.delete(`${repositoryApi(name)}/tags/${encodeURIComponent(deleting)}`);
            toast(`Deleted tag ${deleting}`);
            setDeleting(undefined);
            tags.reload();
            onChanged();
          }}
        >
          <p>
            {name}:{deleting} no longer resolves. The image stays, under its digest and any other tag.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}

import { useMemo } from "react";
import { useList } from "../../api/hooks";
import type { AuditEvent } from "../../api/types";
import { EmptyState } from "../../components/EmptyState";
import { ErrorMessage } from "../../components/ErrorMessage";
import { LoadMore } from "../../components/LoadMore";
import { Loading } from "../../components/Loading";
import { AuditTable } from "../audit/AuditTable";

/** What happened to a repository, its tags and its images (pushes, deletions by people and by retention), from the audit log. */
export function HistoryTab({ name }: { name: string }) {
  const tenancy = name.slice(0, name.indexOf("/"));
  const query = useMemo(() => ({ limit: 50, repository: name }), [name]);
  const log = useList<AuditEvent>(`/tenancies/${encodeURIComponent(tenancy)}/audit`, query);
  return (
    <>
      <ErrorMessage error={log.error} />
      {log.loading && log.items.length === 0 && <Loading />}
      {!log.loading && !log.error && log.items.length === 0 && <EmptyState title="No history yet">Pushes, tag and image deletions and changes to this repository show up here.</EmptyState>}
      {log.items.length > 0 && (
        <>
          <AuditTable events={log.items} caption={`History of ${name}, newest first`} />
          <LoadMore more={log.more} loading={log.loading} />
        </>
      )}
    </>
  );
}

// The tenancy's audit log, newest first, a page at a time, narrowed by filters that live in the
// URL (so a reload or a shared link keeps them) and are applied by the API.
import { useEffect, useMemo, useState } from "react";
import { useList } from "../../api/hooks";
import type { AuditEvent } from "../../api/types";
import { setQuery, useQuery } from "../../app/router";
import { Button } from "../../components/Button";
import { EmptyState } from "../../components/EmptyState";
import { ErrorMessage } from "../../components/ErrorMessage";
import { LoadMore } from "../../components/LoadMore";
import { Loading } from "../../components/Loading";
import { Page } from "../../components/Page";
import { Select } from "../../components/Select";
import { TextField } from "../../components/TextField";
import { useSession } from "../../session/session";
import "./audit.css";
import { AuditTable } from "./AuditTable";
import { apiQuery, filterOf, isFiltered, OUTCOMES, queryOf, type AuditFilter } from "./filter";

const PAGE = 100;

export function AuditPage() {
  const { tenancy } = useSession();
  const query = useQuery();
  const filter = filterOf(query);
  const search = queryOf(filter).toString();
  const listQuery = useMemo(() => ({ limit: PAGE, ...apiQuery(filterOf(new URLSearchParams(search))) }), [search]);
  const log = useList<AuditEvent>(`/tenancies/${encodeURIComponent(tenancy)}/audit`, listQuery);
  const set = (patch: Partial<AuditFilter>) => setQuery(queryOf({ ...filter, ...patch }));

  // The actor box applies on Enter or when it loses focus, not on every keystroke (it matches whole names).
  const [actor, setActor] = useState(filter.actor);
  useEffect(() => setActor(filter.actor), [filter.actor]);
  const applyActor = () => {
    if (actor.trim() !== filter.actor) set({ actor: actor.trim() });
  };

  // Actions offered: every one seen on this page so far, so narrowing keeps the others to choose from.
  const [actions, setActions] = useState<string[]>([]);
  useEffect(() => {
    setActions((known) => {
      const all = new Set([...known, ...log.items.map((e) => e.action), ...(filter.action ? [filter.action] : [])]);
      return all.size === known.length ? known : [...all].sort();
    });
  }, [log.items, filter.action]);

  return (
    <Page title="Audit log" description="Who did what in this tenancy, allowed or denied, newest first.">
      <form
        className="audit-filters"
        role="search"
        aria-label="Filter the audit log"
        onSubmit={(event) => {
          event.preventDefault();
          applyActor();
        }}
      >
        <TextField label="Actor" value={actor} onChange={setActor} onBlur={applyActor} placeholder={`${tenancy}/user`} hint="A whole name; press Enter to apply." />
        <Select label="Action" value={filter.action} onChange={(action) => set({ action })} options={[{ value: "", label: "Any action" }, ...actions.map((a) => ({ value: a, label: a }))]} />
        <Select label="Outcome" value={filter.outcome} onChange={(outcome) => set({ outcome })} options={[{ value: "", label: "Any outcome" }, ...OUTCOMES.map((o) => ({ value: o, label: o }))]} />
        <TextField label="Since (UTC)" type="date" value={filter.since} onChange={(since) => set({ since })} />
        {isFiltered(filter) && (
          <Button type="button" variant="plain" onClick={() => setQuery(new URLSearchParams())}>
            Clear filters
          </Button>
        )}
      </form>
      <ErrorMessage error={log.error} />
      {log.loading && log.items.length === 0 && <Loading />}
      {!log.loading && !log.error && log.items.length === 0 &&
        (isFiltered(filter) ? (
          <EmptyState title="No events match the filters">Clear a filter to see more.</EmptyState>
        ) : (
          <EmptyState title="No events yet">Sign-ins, pushes and changes to the tenancy show up here.</EmptyState>
        ))}
      {log.items.length > 0 && (
        <>
          <AuditTable events={log.items} caption="Audit events, newest first" />
          <LoadMore more={log.more} loading={log.loading} />
        </>
      )}
    </Page>
  );
}

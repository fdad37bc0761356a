import type { AuditEvent } from "../../api/types";
import { DataTable } from "../../components/DataTable";
import { formatTime } from "../../format";
import "./audit.css";

/** Audit events as a table, newest first: the audit log's and a repository's history. */
export function AuditTable({ events, caption }: { events: AuditEvent[]; caption: string }) {
  return (
    <DataTable<AuditEvent & { n: number }>
      caption={caption}
      rows={events.map((e, n) => ({ ...e, n }))}
      rowKey={(e) => String(e.n)}
      columns={[
        { key: "time", header: "Time", className: "audit-nowrap", render: (e) => formatTime(e.at) },
        { key: "actor", header: "Actor", render: (e) => e.actor },
        { key: "action", header: "Action", render: (e) => e.action },
        { key: "target", header: "Target", className: "audit-target", render: (e) => e.target },
        { key: "outcome", header: "Outcome", render: (e) => <span className={`audit-outcome audit-outcome-${e.outcome}`}>{e.outcome}</span> },
        { key: "address", header: "Address", render: (e) => e.address ?? "" },
        { key: "detail", header: "Detail", className: "audit-detail", render: (e) => e.detail ?? "" },
      ]}
    />
  );
}

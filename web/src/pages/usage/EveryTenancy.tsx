// For the registry's operators: what every tenancy uses (GET /api/v1/usage), largest first.
import { useMemo } from "react";
import { useList } from "../../api/hooks";
import type { Usage } from "../../api/types";
import { DataTable } from "../../components/DataTable";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import { formatBytes } from "../../format";
import { BarChart } from "./BarChart";

export function EveryTenancy({ bars }: { bars: number }) {
  const usage = useList<Usage>("/usage", { days: 30, limit: 1000 });
  const bySize = useMemo(() => [...usage.items].sort((a, b) => b.storedBytes - a.storedBytes || (a.namespace < b.namespace ? -1 : 1)), [usage.items]);
  return (
    <section className="usage-card" aria-labelledby="usage-tenancies-title">
      <h2 id="usage-tenancies-title">Every tenancy</h2>
      <ErrorMessage error={usage.error} />
      {usage.loading && bySize.length === 0 && <Loading />}
      {bySize.length > 0 && (
        <>
          <BarChart title="Storage per tenancy" bars={bySize.slice(0, bars).map((u) => ({ label: u.namespace, value: u.storedBytes }))} format={formatBytes} />
          <DataTable<Usage>
            caption="Every tenancy's usage"
            rows={bySize}
            rowKey={(u) => u.namespace}
            columns={[
              { key: "namespace", header: "Tenancy", render: (u) => u.namespace },
              { key: "stored", header: "Stored", align: "end", render: (u) => <span title={`${u.storedBytes} bytes`}>{formatBytes(u.storedBytes)}</span> },
              { key: "quota", header: "Quota", align: "end", render: (u) => (u.storageQuota === null ? "none" : formatBytes(u.storageQuota)) },
              { key: "repositories", header: "Repositories", align: "end", render: (u) => `${u.repositories} of ${u.repositoryLimit}` },
              { key: "images", header: "Images", align: "end", render: (u) => u.manifests },
              { key: "pulls", header: `Pulls (${bySize[0]!.window.days} days)`, align: "end", render: (u) => u.window.pulls },
              { key: "sent", header: "Sent", align: "end", render: (u) => formatBytes(u.window.egressBytes) },
            ]}
          />
        </>
      )}
    </section>
  );
}

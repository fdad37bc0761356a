// Usage: what the tenancy stores (against its quota), storage per repository and pulls per day;
// for the registry's operators, every tenancy's too.
import { useMemo } from "react";
import { useApi, useList } from "../../api/hooks";
import type { Repository, Usage } from "../../api/types";
import { Link } from "../../app/router";
import { DataTable } from "../../components/DataTable";
import { EmptyState } from "../../components/EmptyState";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import { Page } from "../../components/Page";
import { formatBytes } from "../../format";
import { useCan, useSession } from "../../session/session";
import { registryHost } from "../../app/registry-host";
import { BarChart } from "./BarChart";
import { ColumnChart } from "./ColumnChart";
import { EveryTenancy } from "./EveryTenancy";
import { QuotaBar } from "./QuotaBar";
import "./usage.css";

/** Bars beyond these would be too thin to read; the table beneath lists every repository. */
const CHART_BARS = 15;

export function UsagePage() {
  const { tenancy, userName } = useSession();
  const usage = useApi<Usage>(`/tenancies/${encodeURIComponent(tenancy)}/usage`, { days: 30 });
  const repositories = useList<Repository>(`/tenancies/${encodeURIComponent(tenancy)}/repositories`, { limit: 1000 });
  const bySize = useMemo(() => [...repositories.items].sort((a, b) => b.size - a.size || (a.name < b.name ? -1 : 1)), [repositories.items]);
  const u = usage.data;
  const operator = useCan("ViewRegistry") === true;

  return (
    <Page title="Usage" description="What the tenancy stores and how often its images are pulled.">
      <ErrorMessage error={usage.error} />
      {usage.loading && !u && <Loading />}
      {u && (
        <section className="usage-card" aria-labelledby="usage-storage-title">
          <h2 id="usage-storage-title">Storage</h2>
          <dl className="usage-stats">
            <div>
              <dt>Stored</dt>
              <dd>{formatBytes(u.storedBytes)}</dd>
            </div>
            <div>
              <dt>Repositories</dt>
              <dd>
                {u.repositories} of {u.repositoryLimit}
              </dd>
            </div>
            <div>
              <dt>Images</dt>
              <dd>{u.manifests}</dd>
            </div>
            <div>
              <dt>Tags</dt>
              <dd>{u.tags}</dd>
            </div>
          </dl>
          {u.storageQuota === null ? <p className="usage-muted">No storage quota is set for this tenancy.</p> : <QuotaBar used={u.storedBytes} quota={u.storageQuota} />}
        </section>
      )}

      <section className="usage-card" aria-labelledby="usage-repositories-title">
        <h2 id="usage-repositories-title">Storage per repository</h2>
        <ErrorMessage error={repositories.error} />
        {repositories.loading && bySize.length === 0 && <Loading />}
        {!repositories.loading && !repositories.error && bySize.length === 0 && (
          <EmptyState title="Nothing stored yet">
            Push your first image: <code>docker login {registryHost()} -u {tenancy}/{userName}</code>, then <code>docker push {registryHost()}/{tenancy}/&lt;repo&gt;:&lt;tag&gt;</code>.
          </EmptyState>
        )}
        {bySize.length > 0 && (
          <>
            <BarChart title="Storage per repository" bars={bySize.slice(0, CHART_BARS).map((r) => ({ label: r.name, value: r.size }))} format={formatBytes} />
            {bySize.length > CHART_BARS && <p className="usage-hint">The chart shows the {CHART_BARS} largest repositories; the table lists all {bySize.length}.</p>}
            <DataTable<Repository>
              caption="Storage per repository"
              rows={bySize}
              rowKey={(r) => r.name}
              columns={[
                { key: "name", header: "Repository", render: (r) => <Link to={`/repositories/${r.name}`}>{r.name}</Link> },
                { key: "size", header: "Size", align: "end", render: (r) => <span title={`${r.size} bytes`}>{formatBytes(r.size)}</span> },
                { key: "images", header: "Images", align: "end", render: (r) => r.manifests },
                { key: "tags", header: "Tags", align: "end", render: (r) => r.tags },
                { key: "pulls", header: "Pulls", align: "end", render: (r) => r.pulls },
              ]}
            />
          </>
        )}
      </section>

      {u && (
        <section className="usage-card" aria-labelledby="usage-pulls-title">
          <h2 id="usage-pulls-title">Pulls over the last {u.window.days} days</h2>
          <p>
            {u.window.pulls} {u.window.pulls === 1 ? "pull" : "pulls"}, {formatBytes(u.window.egressBytes)} sent.
          </p>
          <ColumnChart title="Pulls per day" unit="pulls" columns={u.window.daily.map((d) => ({ date: d.date, value: d.pulls }))} />
          <details>
            <summary>Show as table</summary>
            <DataTable<Usage["window"]["daily"][number]>
              caption="Pulls and bytes sent per day"
              rows={[...u.window.daily].reverse()}
              rowKey={(d) => d.date}
              columns={[
                { key: "date", header: "Date", render: (d) => d.date },
                { key: "pulls", header: "Pulls", align: "end", render: (d) => d.pulls },
                { key: "egress", header: "Sent", align: "end", render: (d) => formatBytes(d.egressBytes) },
              ]}
            />
          </details>
        </section>
      )}

      {operator && <EveryTenancy bars={CHART_BARS} />}
    </Page>
  );
}

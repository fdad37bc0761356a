// Usage as metrics, labelled by tenancy only (one series per tenancy; never per repository or
// digest): stored bytes and quota, read from the database at most every 30 s per process and
// combined with "max" across processes (each reads the same rows), and the egress this process
// sent, a counter summed across processes.
import type { IamStore } from "../iam/store.js";
import type { MetadataStore } from "../metadata/store.js";
import type { PullRecorder } from "../registry/pulls.js";
import type { MetricFamily, MetricSource, Sample } from "./metrics.js";

const REFRESH_MS = 30_000;

export function usageMetrics(meta: MetadataStore, iam: IamStore, pulls: PullRecorder, tenancies: boolean): MetricSource {
  let stored: { at: number; values: Sample[]; quotas: Sample[] } | undefined;
  const readStored = async () => {
    if (stored && performance.now() - stored.at < REFRESH_MS) return stored;
    const values: Sample[] = [];
    const quotas: Sample[] = [];
    for (const t of tenancies ? await iam.listTenancies() : []) {
      values.push({ labels: { tenancy: t.namespace }, value: await meta.tenancyStoredBytes(t.namespace) });
      if (t.storageQuota !== null && t.storageQuota !== undefined) quotas.push({ labels: { tenancy: t.namespace }, value: t.storageQuota });
    }
    stored = { at: performance.now(), values, quotas };
    return stored;
  };
  return async (): Promise<MetricFamily[]> => {
    const { values, quotas } = await readStored();
    const egress = [...pulls.egressByTenancy()].map(([tenancy, value]) => ({ labels: { tenancy }, value }));
    return [
      { name: "berth_tenancy_stored_bytes", help: "Bytes of the blobs a tenancy's repositories hold, each blob once (read at most every 30 s)", type: "gauge", aggregator: "max", values },
      { name: "berth_tenancy_storage_quota_bytes", help: "A tenancy's storage quota, for those that have one", type: "gauge", aggregator: "max", values: quotas },
      { name: "berth_tenancy_egress_bytes_total", help: "Bytes of blob and manifest bodies sent, by tenancy", type: "counter", aggregator: "sum", values: egress },
    ];
  };
}

// This serving process's metrics. Requests and store calls are counted on hot paths (manifest
// GETs run at about 10k/s), so a label set is resolved to its series once and an observation is
// a few additions; prom-client's own metrics hash their label object on every call (0.3–0.5 µs and
// a string each). prom-client supplies the process metrics, the JSON shape that processes
// exchange (`getMetricsAsJSON()`), and the summing and text format (metrics-gather.ts).
import { collectDefaultMetrics, Registry } from "prom-client";
import type { RouteKind } from "../distribution/routes.js";

/** Metric families as prom-client's `getMetricsAsJSON()` gives them: what processes exchange. */
export type MetricsJson = object[];

export interface Sample {
  value: number;
  labels: Record<string, string>;
  metricName?: string;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  /** how the machine's processes' values are combined: "max" for a value every process reads from the database */
  aggregator: "sum" | "max";
  values: Sample[];
}

/** More metric families, computed when scraped (the usage metrics: src/server/usage-metrics.ts). */
export type MetricSource = () => Promise<MetricFamily[]>;

/** Every kind of request the HTTP layer tells apart: the /v2/ routes and the paths beside them. */
export type RequestKind = RouteKind | "token" | "api" | "healthz" | "readyz" | "metrics" | "console" | "unknown";

export type AuthFailure = "no_credentials" | "bad_credentials" | "insufficient_scope" | "denied" | "throttled";

export type StoreKind = "metadata" | "blob";

const REQUEST_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const STORE_SECONDS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10];

/** Repositories past the cap count under this label value, which no repository name can be. */
export const OTHER_REPOSITORIES = "(other)";

/** One label set of a histogram. */
export class HistogramSeries {
  /** observations per bucket (not cumulative); the last one is +Inf */
  private readonly counts: Float64Array;
  sum = 0;
  count = 0;
  /** calls that failed (store operations) */
  failures = 0;

  constructor(
    readonly labels: Record<string, string>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i] = this.counts[i]! + 1;
    this.sum += value;
    this.count += 1;
  }

  samples(name: string, into: Sample[]): void {
    let cumulative = 0;
    for (let i = 0; i <= this.bounds.length; i++) {
      cumulative += this.counts[i]!;
      const le = i < this.bounds.length ? String(this.bounds[i]) : "+Inf";
      into.push({ metricName: `${name}_bucket`, labels: { ...this.labels, le }, value: cumulative });
    }
    into.push({ metricName: `${name}_sum`, labels: this.labels, value: this.sum });
    into.push({ metricName: `${name}_count`, labels: this.labels, value: this.count });
  }
}

/** A counter whose label values are repository names: the first `limit` seen, then one for the rest. */
class RepositoryCounter {
  private readonly counts = new Map<string, number>();
  private other = 0;

  constructor(private readonly limit: number) {}

  inc(repository: string): void {
    const count = this.counts.get(repository);
    if (count !== undefined) this.counts.set(repository, count + 1);
    else if (this.counts.size < this.limit) this.counts.set(repository, 1);
    else this.other += 1;
  }

  samples(): Sample[] {
    const values = [...this.counts].map(([repository, value]) => ({ labels: { repository }, value }));
    if (this.other > 0) values.push({ labels: { repository: OTHER_REPOSITORIES }, value: this.other });
    return values;
  }
}

export interface MetricsOptions {
  /** repositories that get push/pull series of their own (`http.metrics.repositories`) */
  repositories: number;
}

export class ServerMetrics {
  /** prom-client's registry, for the process metrics (CPU, memory, event loop, GC) */
  private readonly processMetrics = new Registry();
  /** route → method → status → series */
  private readonly requests = new Map<RequestKind, Map<string, Map<number, HistogramSeries>>>();
  private readonly bytes = new Map<RequestKind, { in: number; out: number }>();
  private readonly pushes: RepositoryCounter;
  private readonly pulls: RepositoryCounter;
  private readonly authFailures = new Map<AuthFailure, number>();
  private readonly storeCalls: HistogramSeries[] = [];
  private readonly sources: MetricSource[] = [];
  /** requests being served */
  inFlight = 0;
  /** requests on the upload endpoints being served */
  uploadsInProgress = 0;

  constructor(options: MetricsOptions) {
    collectDefaultMetrics({ register: this.processMetrics });
    this.pushes = new RepositoryCounter(options.repositories);
    this.pulls = new RepositoryCounter(options.repositories);
  }

  /** A request was answered (or its connection closed). */
  request(kind: RequestKind, method: string, status: number, seconds: number, bytesIn: number, bytesOut: number): void {
    let byMethod = this.requests.get(kind);
    if (!byMethod) this.requests.set(kind, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map()));
    let series = byStatus.get(status);
    if (!series) byStatus.set(status, (series = new HistogramSeries({ route: kind, method, status: String(status) }, REQUEST_SECONDS)));
    series.observe(seconds);
    let bytes = this.bytes.get(kind);
    if (!bytes) this.bytes.set(kind, (bytes = { in: 0, out: 0 }));
    bytes.in += bytesIn;
    bytes.out += bytesOut;
  }

  pushed(repository: string): void {
    this.pushes.inc(repository);
  }

  pulled(repository: string): void {
    this.pulls.inc(repository);
  }

  authFailed(reason: AuthFailure): void {
    this.authFailures.set(reason, (this.authFailures.get(reason) ?? 0) + 1);
  }

  /** The series a store wrapper observes one operation's latency into (metrics-stores.ts). */
  storeOperation(store: StoreKind, operation: string): HistogramSeries {
    const series = new HistogramSeries({ store, operation }, STORE_SECONDS);
    this.storeCalls.push(series);
    return series;
  }

  addSource(source: MetricSource): void {
    this.sources.push(source);
  }

  /** This process's metrics, as prom-client's `getMetricsAsJSON()` shapes them. */
  async json(): Promise<MetricsJson> {
    const requests = [...this.requests.values()].flatMap((byMethod) => [...byMethod.values()].flatMap((byStatus) => [...byStatus.values()]));
    const stores = this.storeCalls.filter((s) => s.count > 0);
    const bytes = [...this.bytes];
    const own: MetricFamily[] = [
      counter(
        "berth_http_requests_total",
        "HTTP requests answered, by route, method and status",
        requests.map((s) => ({ labels: s.labels, value: s.count })),
      ),
      histogram("berth_http_request_duration_seconds", "Time from a request's arrival to its last response byte, by route, method and status", requests),
      counter(
        "berth_http_request_bytes_total",
        "Bytes received for requests (headers and body, as read from the connection), by route",
        bytes.map(([route, b]) => ({ labels: { route }, value: b.in })),
      ),
      counter(
        "berth_http_response_bytes_total",
        "Bytes sent in responses (headers and body), by route",
        bytes.map(([route, b]) => ({ labels: { route }, value: b.out })),
      ),
      gauge("berth_http_requests_in_flight", "Requests being served", this.inFlight),
      gauge("berth_uploads_in_progress", "Requests on the blob upload endpoints being served (blob bytes arriving)", this.uploadsInProgress),
      counter("berth_pushes_total", "Manifests pushed (PUT answered 201), by repository", this.pushes.samples()),
      counter("berth_pulls_total", "Manifests pulled (GET answered 200), by repository", this.pulls.samples()),
      counter(
        "berth_auth_failures_total",
        "Requests refused by authentication or authorization, by reason",
        [...this.authFailures].map(([reason, value]) => ({ labels: { reason }, value })),
      ),
      histogram("berth_store_operation_duration_seconds", "Time the metadata and blob stores take to answer, by store and operation", stores),
      counter(
        "berth_store_operation_failures_total",
        "Store operations that failed, by store and operation",
        stores.filter((s) => s.failures > 0).map((s) => ({ labels: s.labels, value: s.failures })),
      ),
    ];
    const more = (await Promise.all(this.sources.map((source) => source()))).flat();
    return [...(await this.processMetrics.getMetricsAsJSON()), ...own, ...more];
  }
}

function counter(name: string, help: string, values: Sample[]): MetricFamily {
  return { name, help, type: "counter", aggregator: "sum", values };
}

function gauge(name: string, help: string, value: number): MetricFamily {
  return { name, help, type: "gauge", aggregator: "sum", values: [{ labels: {}, value }] };
}

function histogram(name: string, help: string, series: HistogramSeries[]): MetricFamily {
  const values: Sample[] = [];
  for (const s of series) s.samples(name, values);
  return { name, help, type: "histogram", aggregator: "sum", values };
}

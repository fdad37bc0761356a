// Result rows, targets and the printed tables.
import type { RegistryName } from "./servers.js";

export interface Target {
  /** as printed, e.g. "≥ 2×" or "p99 < 20 ms" */
  text: string;
  check(berth: number, distribution: number | undefined): boolean;
}

export interface Row {
  id: string;
  workload: string;
  metric: string;
  unit: string;
  values: Partial<Record<RegistryName, number>>;
  /** printed instead of the ratio when the ratio means nothing */
  ratioNote?: string;
  target?: Target;
  note?: string;
}

export interface CpuRow {
  workload: string;
  registry: RegistryName;
  /** seconds */
  wall: number;
  serverCpu: number;
  clientCpu: number;
}

export interface Failure {
  workload: string;
  registry?: RegistryName;
  message: string;
}

export const ratioAtLeast = (k: number): Target => ({ text: `B/D ≥ ${k}`, check: (b, d) => d !== undefined && b / d >= k });
export const ratioAtMost = (k: number, text = `B/D ≤ ${k}`): Target => ({ text, check: (b, d) => d !== undefined && b / d <= k });
export const below = (limit: number, unit: string): Target => ({ text: `< ${limit} ${unit}`, check: (b) => b < limit });
export const atMost = (limit: number, unit: string): Target => ({ text: `≤ ${limit} ${unit}`, check: (b) => b <= limit });
export const atLeast = (limit: number, unit: string, why: string): Target => ({
  text: `≥ ${fmt(limit)} ${unit} (${why})`,
  check: (b) => b >= limit,
});

export function fmt(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return "—";
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString("en-US");
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest-rank percentile. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export function resultsTable(rows: Row[], judge: boolean): string {
  const lines = [
    "| # | workload | metric | Berth | Distribution | Berth/Distribution | target | met |",
    "|---|---|---|--:|--:|--:|---|---|",
  ];
  for (const r of rows) {
    const b = r.values.Berth;
    const d = r.values.Distribution;
    const ratio = r.ratioNote ?? (b !== undefined && d !== undefined && d !== 0 ? `${fmt(b / d)}×` : "—");
    let met = "";
    if (r.target && judge && b !== undefined) met = r.target.check(b, d) ? "yes" : "**no**";
    else if (r.target && !judge) met = "(quick: not judged)";
    const metric = `${r.metric}${r.unit ? ` (${r.unit})` : ""}${r.note ? ` — ${r.note}` : ""}`;
    lines.push(`| ${r.id} | ${r.workload} | ${metric} | ${fmt(b)} | ${fmt(d)} | ${ratio} | ${r.target?.text ?? ""} | ${met} |`);
  }
  return lines.join("\n");
}

export function cpuTable(rows: CpuRow[]): string {
  const lines = [
    "| workload | registry | wall (s) | server CPU (s, % of one core) | client CPU (s, % of one core) |",
    "|---|---|--:|--:|--:|",
  ];
  const pct = (cpu: number, wall: number) => `${fmt(cpu)} (${Math.round((100 * cpu) / wall)}%)`;
  // Repetitions of one workload on one registry are summed.
  const sums = new Map<string, CpuRow>();
  for (const r of rows) {
    const key = `${r.workload}\n${r.registry}`;
    const s = sums.get(key);
    if (s) {
      s.wall += r.wall;
      s.serverCpu += r.serverCpu;
      s.clientCpu += r.clientCpu;
    } else {
      sums.set(key, { ...r });
    }
  }
  for (const r of sums.values()) {
    lines.push(`| ${r.workload} | ${r.registry} | ${fmt(r.wall)} | ${pct(r.serverCpu, r.wall)} | ${pct(r.clientCpu, r.wall)} |`);
  }
  return lines.join("\n");
}

// Printing an answer: json is the API's envelope as is (`{"data": …}`, plus `next` on a page of a
// list), for scripts; table is for people: chosen columns per resource, times as ISO-8601 UTC.
export type Format = "json" | "table";

export function defaultFormat(isTTY: boolean | undefined): Format {
  return isTTY ? "table" : "json";
}

export function parseFormat(text: string): Format {
  if (text === "json" || text === "table") return text;
  throw new Error(`--output must be json or table, not ${text}`);
}

export function renderJson(envelope: unknown): string {
  return `${JSON.stringify(envelope, null, 2)}\n`;
}

/**
 * `data` as a table: a list as rows under `columns` (those present; all scalar fields when none
 * is), a single object as `field  value` lines, nested objects flattened as `outer.inner`.
 */
export function renderTable(data: unknown, columns: readonly string[] = []): string {
  if (Array.isArray(data)) return renderRows(data, columns);
  if (data !== null && typeof data === "object") {
    const pairs = flatten(data as Record<string, unknown>);
    const width = Math.max(...pairs.map(([k]) => k.length));
    return pairs.map(([k, v]) => `${k.padEnd(width)}  ${v}`.trimEnd()).join("\n") + "\n";
  }
  return `${cell("", data)}\n`;
}

function renderRows(rows: unknown[], columns: readonly string[]): string {
  if (rows.length === 0) return "(none)\n";
  const records = rows.map((r) => (r !== null && typeof r === "object" ? (r as Record<string, unknown>) : { value: r }));
  const present = new Set(records.flatMap((r) => Object.keys(r)));
  let chosen = columns.filter((c) => present.has(c));
  if (chosen.length === 0) chosen = [...present].filter((k) => records.some((r) => isScalar(r[k])));
  const header = chosen.map(headerOf);
  const body = records.map((r) => chosen.map((c) => cell(c, r[c])));
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(header), ...body.map(line)].join("\n") + "\n";
}

function flatten(value: Record<string, unknown>, prefix = ""): [string, string][] {
  const out: [string, string][] = [];
  for (const [key, v] of Object.entries(value)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (v !== null && typeof v === "object" && !Array.isArray(v)) out.push(...flatten(v as Record<string, unknown>, name));
    else out.push([name, cell(key, v)]);
  }
  return out;
}

function isScalar(v: unknown): boolean {
  return v === null || v === undefined || ["string", "number", "boolean"].includes(typeof v) || (Array.isArray(v) && v.every((x) => typeof x !== "object"));
}

/** `createdAt` → CREATED AT */
function headerOf(column: string): string {
  return column.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toUpperCase();
}

const TIME_FIELD = /(^at$|At$|^time$|^timestamp$)/;

function cell(column: string, v: unknown): string {
  if (v === null || v === undefined) return "-";
  // an API older than ISO timestamps, or an offline store row: epoch milliseconds
  if (typeof v === "number" && TIME_FIELD.test(column)) return new Date(v).toISOString();
  if (Array.isArray(v)) return v.map((x) => cell("", x)).join(", ");
  if (typeof v === "object") return JSON.stringify(v);
  return String(v).replace(/\s*\n\s*/g, " ");
}

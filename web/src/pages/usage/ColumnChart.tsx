// A column chart over days in our own SVG, with a y axis (zero and the peak) and date labels
// at the start, middle and end. The SVG is one image whose label sums it up.
export interface Column {
  /** an ISO date, YYYY-MM-DD */
  date: string;
  value: number;
}

const WIDTH = 800;
const HEIGHT = 200;
const LEFT = 56;
const BOTTOM = 24;
const TOP = 12;

export function ColumnChart({ title, columns, unit }: { title: string; columns: Column[]; unit: string }) {
  const max = Math.max(1, ...columns.map((c) => c.value));
  const total = columns.reduce((sum, c) => sum + c.value, 0);
  const peak = columns.reduce<Column | undefined>((best, c) => (best === undefined || c.value > best.value ? c : best), undefined);
  const plot = HEIGHT - BOTTOM - TOP;
  const step = (WIDTH - LEFT) / Math.max(1, columns.length);
  const labelled = new Set([0, Math.floor((columns.length - 1) / 2), columns.length - 1]);
  const described =
    columns.length === 0
      ? `${title}: no data`
      : `${title}, ${columns[0]!.date} to ${columns[columns.length - 1]!.date}: ${total} in all` + (peak && peak.value > 0 ? `; at most ${peak.value}, on ${peak.date}` : "");
  return (
    <svg className="usage-chart " viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width="100%" role="img" aria-label={described}>
      <g aria-hidden="true">
        <line className="usage-chart-axis" x1={LEFT} y1={TOP} x2={LEFT} y2={TOP + plot} />
        <line className="usage-chart-axis" x1={LEFT} y1={TOP + plot} x2={WIDTH} y2={TOP + plot} />
        <text className="usage-chart-label" x={LEFT - 6} y={TOP} dominantBaseline="hanging" textAnchor="end">
          {max}
        </text>
        <text className="usage-chart-label" x={LEFT - 6} y={TOP + plot} textAnchor="end">
          0
        </text>
        {columns.map((c, i) => {
          const h = (c.value / max) * plot;
          const x = LEFT + i * step + step * 0.15;
          return (
            <g key={c.date}>
              <rect className="usage-chart-bar" x={x} y={TOP + plot - h} width={step * 0.7} height={h}>
                <title>{`${c.date}: ${c.value} ${unit}`}</title>
              </rect>
              {labelled.has(i) && (
                <text className="usage-chart-label" x={x + step * 0.35} y={HEIGHT - 6} textAnchor={i === 0 ? "start" : i === columns.length - 1 ? "end" : "middle"}>
                  {c.date.slice(5)}
                </text>
              )}
            </g>
          );
        })}
      </g>
    </svg>
  );
}

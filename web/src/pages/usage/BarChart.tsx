// A horizontal bar chart in our own SVG: one bar per item, its label on the left and its
// formatted value on the right. The SVG is one image whose label carries every number.
export interface Bar {
  label: string;
  value: number;
}

const ROW = 28;
const WIDTH = 800;
const LABEL = 240;
const VALUE = 110;

export function BarChart({ title, bars, format }: { title: string; bars: Bar[]; format: (n: number) => string }) {
  const max = Math.max(1, ...bars.map((b) => b.value));
  const span = WIDTH - LABEL - VALUE;
  const height = bars.length * ROW;
  const described = `${title}: ${bars.map((b) => `${b.label} ${format(b.value)}`).join("; ")}`;
  return (
    <svg className="usage-chart " viewBox={`0 0 ${WIDTH} ${height}`} width="100%" role="img" aria-label={described} preserveAspectRatio="xMinYMin meet">
      {bars.map((b, i) => {
        const y = i * ROW;
        const width = b.value === 0 ? 0 : Math.max(2, (b.value / max) * span);
        return (
          <g key={b.label} aria-hidden="true">
            <text className="usage-chart-label" x={LABEL - 8} y={y + ROW / 2} dominantBaseline="middle" textAnchor="end">
              {truncate(b.label, 32)}
            </text>
            <rect className="usage-chart-bar" x={LABEL} y={y + 5} width={width} height={ROW - 10} rx="2" />
            <text className="usage-chart-value" x={LABEL + width + 6} y={y + ROW / 2} dominantBaseline="middle">
              {format(b.value)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `…${text.slice(text.length - max + 1)}`;
}

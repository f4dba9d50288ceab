import { formatRate } from "../format.ts";
import { h, type SafeHtml } from "../html.ts";

/** Server-rendered SVG bars of recent runs' average rate: no script, no inline style. */
export function ThroughputChart(props: {
  runs: { id: number; jobName: string; rateBytesPerSec: number | null }[];
}): SafeHtml {
  const runs = props.runs
    .filter((r) => r.rateBytesPerSec)
    .slice(0, 30)
    .reverse();
  if (runs.length === 0) return <svg class="chart" width="0" height="0" aria-hidden="true"></svg>;
  const max = Math.max(...runs.map((r) => r.rateBytesPerSec ?? 0));
  const width = 600;
  const height = 120;
  const bar = width / runs.length;
  return (
    <svg
      class="chart"
      viewBox={`0 0 ${width} ${height + 16}`}
      role="img"
      aria-label="Throughput of recent runs"
    >
      {runs.map((r, i) => {
        const hgt = Math.max(2, Math.round(((r.rateBytesPerSec ?? 0) / max) * height));
        return (
          <rect
            x={String(Math.round(i * bar + 2))}
            y={String(height - hgt)}
            width={String(Math.max(2, Math.round(bar - 4)))}
            height={String(hgt)}
            fill="#1f6feb"
          >
            <title>{`${r.jobName}: ${formatRate(r.rateBytesPerSec)}`}</title>
          </rect>
        );
      })}
      <text x="0" y={String(height + 14)} font-size="11" fill="#5b6475">
        {`peak ${formatRate(max)}`}
      </text>
    </svg>
  );
}

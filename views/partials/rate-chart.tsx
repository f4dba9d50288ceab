import type { Sample } from "../../functions/services/runs/throughput-samples.ts";
import { ratePoints } from "../../functions/services/runs/throughput-samples.ts";
import { formatDuration, formatRate } from "../format.ts";
import { h, type SafeHtml } from "../html.ts";
import { niceStep } from "./throughput-chart.tsx";

const W = 640;
const H = 140;
const LEFT = 64;
const BOTTOM = 22;
const TOP = 20;
const RIGHT = 10;

/** One run's throughput since it started (or since the page opened): a line with labelled axes. */
export function RateChart(props: { samples: Sample[] }): SafeHtml {
  const points = ratePoints(props.samples);
  if (points.length < 2)
    return <p class="muted rate-chart-empty">The throughput chart fills in as the run reports progress.</p>;
  const first = props.samples[0]?.seconds ?? 0;
  const last = Math.max(first + 1, points.at(-1)?.seconds ?? first + 1);
  const peak = Math.max(1, ...points.map((p) => p.rate));
  const step = niceStep(peak);
  const top = Math.ceil(peak / step) * step;
  const plotW = W - LEFT - RIGHT;
  const plotH = H - TOP - BOTTOM;
  const x = (s: number) => LEFT + ((s - first) / (last - first)) * plotW;
  const y = (r: number) => TOP + plotH - (r / top) * plotH;
  const yTicks = Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step);
  const path = points.map(
    (p, i) => `${i === 0 ? "M" : "L"}${x(p.seconds).toFixed(1)},${y(p.rate).toFixed(1)}`,
  );
  return (
    <svg
      class="chart rate-chart"
      viewBox={`0 0 ${W} ${H}`}
      width={String(W)}
      height={String(H)}
      role="img"
      aria-label="This run's throughput in bytes per second over the time since it started"
    >
      <text x={String(LEFT)} y="12" text-anchor="middle">
        rate
      </text>
      {yTicks.map((v) => (
        <g class="tick">
          <line class="grid" x1={String(LEFT)} x2={String(W - RIGHT)} y1={String(y(v))} y2={String(y(v))} />
          <text x={String(LEFT - 4)} y={String(y(v) + 4)} text-anchor="end">
            {v === 0 ? "0" : formatRate(v)}
          </text>
        </g>
      ))}
      <text x={String(LEFT)} y={String(H - 6)} text-anchor="start">
        {`${formatDuration(first)} after start`}
      </text>
      <text x={String(W - RIGHT)} y={String(H - 6)} text-anchor="end">
        {formatDuration(last)}
      </text>
      <line
        class="axis"
        x1={String(LEFT)}
        x2={String(W - RIGHT)}
        y1={String(TOP + plotH)}
        y2={String(TOP + plotH)}
      />
      <line class="axis" x1={String(LEFT)} x2={String(LEFT)} y1={String(TOP)} y2={String(TOP + plotH)} />
      <path class="line" d={path.join(" ")} />
      {points.map((p) => (
        <circle class="point" cx={x(p.seconds).toFixed(1)} cy={y(p.rate).toFixed(1)} r="3">
          <title>{`${formatDuration(p.seconds)} after start: ${formatRate(p.rate) === "–" ? "0 B/s" : formatRate(p.rate)}`}</title>
        </circle>
      ))}
    </svg>
  );
}

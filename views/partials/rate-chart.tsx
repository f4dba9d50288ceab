import type { Sample } from "../../functions/services/runs/throughput-samples.ts";
import { ratePoints } from "../../functions/services/runs/throughput-samples.ts";
import { formatDuration, formatRate } from "../format.ts";
import { h, type SafeHtml } from "../html.ts";
import { RateAxes, rateFrame } from "./rate-axes.tsx";

const BOX = { w: 640, h: 140, left: 64, right: 10, top: 20, bottom: 22 };

/** One run's throughput since it started, from the history the hub keeps: a line with labelled axes. */
export function RateChart(props: { samples: Sample[] }): SafeHtml {
  const points = ratePoints(props.samples);
  if (points.length < 2)
    return <p class="muted rate-chart-empty">The throughput chart fills in as the run reports progress.</p>;
  const first = props.samples[0]?.seconds ?? 0;
  const last = Math.max(first + 1, points.at(-1)?.seconds ?? first + 1);
  const frame = rateFrame(Math.max(...points.map((p) => p.rate)), BOX);
  const { w: W, h: H, left: LEFT, right: RIGHT, y } = frame;
  const x = (s: number) => LEFT + ((s - first) / (last - first)) * frame.plotW;
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
      <RateAxes frame={frame} />
      <text x={String(LEFT)} y={String(H - 6)} text-anchor="start">
        {`${formatDuration(first)} after start`}
      </text>
      <text x={String(W - RIGHT)} y={String(H - 6)} text-anchor="end">
        {formatDuration(last)}
      </text>
      <path class="line" d={path.join(" ")} />
      {points.map((p) => (
        <circle class="point" cx={x(p.seconds).toFixed(1)} cy={y(p.rate).toFixed(1)} r="3">
          <title>{`${formatDuration(p.seconds)} after start: ${formatRate(p.rate) === "–" ? "0 B/s" : formatRate(p.rate)}`}</title>
        </circle>
      ))}
    </svg>
  );
}

import { formatRate, formatTime } from "../format.ts";
import { h, SafeHtml } from "../html.ts";
import { RateAxes, rateFrame } from "./rate-axes.tsx";

export interface ChartRun {
  id: number;
  jobName: string;
  kind?: string;
  startedAt?: Date | null;
  finishedAt: Date | null;
  bytesDone: number;
  rateBytesPerSec: number | null;
}

const BOX = { w: 640, h: 150, left: 64, right: 8, top: 20, bottom: 22 };

/** The average rate of a run over its whole time, from what it moved (the last report's rate is a moment). */
function averageRate(r: ChartRun): number {
  if (r.startedAt && r.finishedAt) {
    const s = (r.finishedAt.getTime() - r.startedAt.getTime()) / 1000;
    if (s > 0 && r.bytesDone > 0) return r.bytesDone / s;
  }
  return r.rateBytesPerSec ?? 0;
}

/**
 * Runs of the last 24 hours on a time axis: each run a bar from its start to its end, as high as
 * its average rate. Axes with units, a <title> on each bar for hover; server-rendered in UTC, the
 * tick times (data-at) shown in the hub's or the browser's zone by /assets/local-time.js.
 */
export function ThroughputChart(props: { runs: ChartRun[]; now: Date; hours?: number }): SafeHtml {
  const hours = props.hours ?? 24;
  const end = props.now.getTime();
  const start = end - hours * 3600_000;
  const runs = props.runs.filter((r) => r.finishedAt && averageRate(r) > 0);
  if (runs.length === 0) return new SafeHtml("");
  const frame = rateFrame(Math.max(...runs.map(averageRate)), BOX);
  const { w: W, h: H, left: LEFT, top: TOP, plotH, y } = frame;
  const x = (t: number) => LEFT + ((Math.min(end, Math.max(start, t)) - start) / (end - start)) * frame.plotW;
  const xTicks = Array.from({ length: 5 }, (_, i) => start + (i * (end - start)) / 4);
  return (
    <svg
      class="chart"
      viewBox={`0 0 ${W} ${H}`}
      width={String(W)}
      height={String(H)}
      role="img"
      aria-label={`Throughput of the runs of the last ${hours} hours, in bytes per second over time (UTC)`}
      data-zone-label="UTC"
    >
      <RateAxes frame={frame} />
      {xTicks.map((t, i) => (
        <text
          class="tick"
          x={String(x(t))}
          y={String(H - 6)}
          text-anchor={i === 0 ? "start" : i === xTicks.length - 1 ? "end" : "middle"}
          data-at={i === xTicks.length - 1 ? undefined : new Date(t).toISOString()}
        >
          {i === xTicks.length - 1 ? "now" : `${new Date(t).toISOString().slice(11, 16)} UTC`}
        </text>
      ))}
      {runs.map((r) => {
        const rate = averageRate(r);
        const to = (r.finishedAt as Date).getTime();
        const from = r.startedAt ? r.startedAt.getTime() : to;
        const x0 = x(from);
        const width = Math.max(3, x(to) - x0);
        return (
          <rect
            class={`bar kind-${r.kind ?? "backup"}`}
            x={x0.toFixed(1)}
            y={y(rate).toFixed(1)}
            width={width.toFixed(1)}
            height={Math.max(1, TOP + plotH - y(rate)).toFixed(1)}
          >
            <title>{`${r.jobName} (${r.kind ?? "backup"}, run ${r.id}): ${formatRate(rate)}, finished ${formatTime(r.finishedAt)}`}</title>
          </rect>
        );
      })}
    </svg>
  );
}

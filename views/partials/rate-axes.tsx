import { formatRate } from "../format.ts";
import { h, type SafeHtml } from "../html.ts";

/** Where a chart of rates draws: its box, the plot inside the margins, and the rate (y) scale. */
export interface RateFrame {
  w: number;
  h: number;
  left: number;
  right: number;
  top: number;
  plotW: number;
  plotH: number;
  /** The y coordinate of a rate in bytes per second. */
  y: (rate: number) => number;
  yTicks: number[];
}

/** A round step for the y axis: 1, 2 or 5 × 10^n at or above a third of `max`. */
export function niceStep(max: number): number {
  const raw = max / 3;
  const p = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 5, 10].find((m) => m * p >= raw) ?? 10) * p;
}

/** The frame of a chart whose highest rate is `peak`, its y axis rounded up to a nice step. */
export function rateFrame(
  peak: number,
  box: { w: number; h: number; left: number; right: number; top: number; bottom: number },
): RateFrame {
  const step = niceStep(Math.max(1, peak));
  const ceiling = Math.ceil(Math.max(1, peak) / step) * step;
  const plotH = box.h - box.top - box.bottom;
  return {
    ...box,
    plotW: box.w - box.left - box.right,
    plotH,
    y: (rate) => box.top + plotH - (rate / ceiling) * plotH,
    yTicks: Array.from({ length: Math.round(ceiling / step) + 1 }, (_, i) => i * step),
  };
}

/** The rate axis (title, ticks with grid lines) and both axis lines of a frame. */
export function RateAxes(props: { frame: RateFrame }): SafeHtml {
  const f = props.frame;
  const base = String(f.top + f.plotH);
  return (
    <g class="rate-axes">
      <text class="axis-title" x={String(f.left)} y="12" text-anchor="middle">
        rate
      </text>
      {f.yTicks.map((v) => (
        <g class="tick">
          <line
            class="grid"
            x1={String(f.left)}
            x2={String(f.w - f.right)}
            y1={String(f.y(v))}
            y2={String(f.y(v))}
          />
          <text x={String(f.left - 4)} y={String(f.y(v) + 4)} text-anchor="end">
            {v === 0 ? "0" : formatRate(v)}
          </text>
        </g>
      ))}
      <line class="axis" x1={String(f.left)} x2={String(f.w - f.right)} y1={base} y2={base} />
      <line class="axis" x1={String(f.left)} x2={String(f.left)} y1={String(f.top)} y2={base} />
    </g>
  );
}

import type { ServiceCtx } from "../../deps.ts";
import { type ActiveCondition, settleConditions } from "../events/settle-conditions.ts";
import { type CalendarWarning, retentionCalendar } from "./retention-calendar.ts";

const WHAT_NEXT: Record<CalendarWarning["kind"], string> = {
  "retention-shorter-than-cycle":
    "Lengthen the pool's retention to at least the full-backup cycle, or run fulls more often.",
  "reuse-would-break-chain": "Nothing to do now: the tapes are kept until the chain built on them expires.",
  "pool-runs-out": "Add tapes to the pool before the next runs need them.",
};

/**
 * The retention calendar's warnings as events: one `retention.warning` per pool and kind of
 * warning while it holds (its text lists every case), one `retention.resolved` when it ends.
 */
export async function watchRetentionWarnings(ctx: ServiceCtx) {
  const active: ActiveCondition[] = [];
  for (const pool of await retentionCalendar(ctx)) {
    const kinds = [...new Set(pool.warnings.map((w) => w.kind))];
    for (const kind of kinds)
      active.push({
        key: `pool:${pool.id}:${kind}`,
        event: {
          text: `Pool ${pool.name}: ${pool.warnings
            .filter((w) => w.kind === kind)
            .map((w) => w.text)
            .join("; ")}`,
          action: WHAT_NEXT[kind],
          href: `/pools/${pool.id}`,
          poolId: pool.id,
        },
      });
  }
  return settleConditions(
    ctx,
    {
      name: "retention",
      raised: "retention.warning",
      cleared: "retention.resolved",
      clearedText: (text) => `Resolved: ${text}`,
    },
    active,
  );
}

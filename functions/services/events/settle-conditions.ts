import { and, desc, gte, lt } from "drizzle-orm";
import { events } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import type { EventKind } from "./event-kinds.ts";
import { eventInsert, type NewEvent } from "./record-event.ts";

/** A condition that holds now, under a key stable while it lasts (no counts or dates in it). */
export interface ActiveCondition {
  key: string;
  event: Omit<NewEvent, "kind" | "dedupeKey">;
}

/** How many of a family's latest events are read to find the conditions raised. */
const LOOK_BACK = 2000;

/**
 * A family of conditions that the tick watches (a pool short of tapes, a set without its key):
 * each is raised once as `raised` when it starts to hold and once as `cleared` when it stops, not
 * every tick. The last event of a condition says whether it is raised; the dedupe key names the
 * event it follows, so hub instances ticking together record each change once.
 */
export async function settleConditions(
  ctx: ServiceCtx,
  family: {
    name: string;
    raised: EventKind;
    cleared: EventKind;
    clearedText: (raisedText: string) => string;
  },
  active: ActiveCondition[],
): Promise<{ raised: number; cleared: number }> {
  const prefix = `cond:${family.name}:`;
  // "#" ends the key; ";" sorts right after ":", closing the range of this family's keys.
  const rows = await ctx.db
    .select()
    .from(events)
    .where(and(gte(events.dedupeKey, prefix), lt(events.dedupeKey, `cond:${family.name};`)))
    .orderBy(desc(events.id))
    .limit(LOOK_BACK);
  const last = new Map<string, (typeof rows)[number]>();
  for (const row of rows) {
    const key = (row.dedupeKey ?? "").slice(prefix.length).split("#")[0] ?? "";
    if (!last.has(key)) last.set(key, row);
  }
  let raised = 0;
  let cleared = 0;
  const holding = new Set(active.map((c) => c.key));
  for (const condition of active) {
    const before = last.get(condition.key);
    if (before?.kind === family.raised) continue;
    await eventInsert(ctx, {
      ...condition.event,
      kind: family.raised,
      dedupeKey: `${prefix}${condition.key}#${before?.id ?? 0}`,
    });
    raised++;
  }
  for (const [key, row] of last) {
    if (holding.has(key) || row.kind !== family.raised) continue;
    await eventInsert(ctx, {
      kind: family.cleared,
      text: family.clearedText(row.text),
      href: row.href,
      jobId: row.jobId,
      tapeId: row.tapeId,
      poolId: row.poolId,
      siteId: row.siteId,
      dedupeKey: `${prefix}${key}#${row.id}`,
    });
    cleared++;
  }
  return { raised, cleared };
}

import { and, asc, desc, gt } from "drizzle-orm";
import { events } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { type EventReader, eventsVisibleTo } from "./events-visible-to.ts";

/** A reconnecting page gets at most this many missed events back. */
export const REPLAY_LIMIT = 100;

/**
 * Events after `afterId` that `reader` may see, oldest first, for the live stream: from the
 * catalog, so every hub instance streams the same events. Without `afterId`, only where the
 * stream starts (the newest id), so a new page replays nothing.
 */
export async function eventsAfter(ctx: ServiceCtx, reader: EventReader, afterId: number | null) {
  if (afterId === null) {
    const [top] = await ctx.db.select({ id: events.id }).from(events).orderBy(desc(events.id)).limit(1);
    return { rows: [], lastId: top?.id ?? 0 };
  }
  const rows = await ctx.db
    .select()
    .from(events)
    .where(and(gt(events.id, afterId), eventsVisibleTo(reader)))
    .orderBy(asc(events.id))
    .limit(REPLAY_LIMIT);
  return { rows, lastId: rows.at(-1)?.id ?? afterId };
}

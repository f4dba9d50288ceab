import { and, asc, desc, gt, inArray } from "drizzle-orm";
import { events, type Role } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { kindsFor } from "../monitor/list-recent-events.ts";

/** A reconnecting page gets at most this many missed events back. */
export const REPLAY_LIMIT = 100;

/**
 * Events after `afterId` that `role` may see, oldest first, for the live stream: from the
 * catalog, so every hub instance streams the same events. Without `afterId`, only where the
 * stream starts (the newest id), so a new page replays nothing.
 */
export async function eventsAfter(ctx: ServiceCtx, role: Role, afterId: number | null) {
  if (afterId === null) {
    const [top] = await ctx.db.select({ id: events.id }).from(events).orderBy(desc(events.id)).limit(1);
    return { rows: [], lastId: top?.id ?? 0 };
  }
  const rows = await ctx.db
    .select()
    .from(events)
    .where(and(gt(events.id, afterId), inArray(events.kind, kindsFor(role))))
    .orderBy(asc(events.id))
    .limit(REPLAY_LIMIT);
  return { rows, lastId: rows.at(-1)?.id ?? afterId };
}

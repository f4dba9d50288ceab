import { and, desc, eq } from "drizzle-orm";
import { mediaSets, type pools } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { nextCalendarEvent } from "../pools/pool-policy.ts";

export type MediaSetRow = typeof mediaSets.$inferSelect;
type PoolRow = typeof pools.$inferSelect;

export type MediaSetDecision = {
  /** The pool's open media set, if any. */
  current: MediaSetRow | null;
  /** Whether the next run starts a new media set (closing `current`). */
  startsNew: boolean;
  /** Why, in words, for the job page and pre-flight. */
  why: string;
};

/** What the pool's allocation policy says the next run writes into, as of `at`. */
export async function mediaSetDecision(ctx: ServiceCtx, pool: PoolRow, at: Date): Promise<MediaSetDecision> {
  const current =
    (await ctx.db.query.mediaSets.findFirst({
      where: and(eq(mediaSets.poolId, pool.id), eq(mediaSets.state, "open")),
      orderBy: desc(mediaSets.id),
    })) ?? null;
  if (!current) return { current, startsNew: true, why: `pool ${pool.name} has no open media set` };
  if (pool.allocation === "always")
    return { current, startsNew: true, why: `pool ${pool.name} starts a new media set every run` };
  if (pool.allocation === "calendar") {
    const event = nextCalendarEvent(pool.allocationCalendar ?? "", current.startedAt);
    if (event && event <= at)
      return {
        current,
        startsNew: true,
        why: `the calendar event of ${event.toISOString()} ("${pool.allocationCalendar}") started a new media set`,
      };
  }
  return { current, startsNew: false, why: `it continues media set #${current.id} of pool ${pool.name}` };
}

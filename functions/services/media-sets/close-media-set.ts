import { and, eq } from "drizzle-orm";
import { mediaSets, type pools, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { reusableFrom } from "../pools/pool-policy.ts";
import { moveTapeState } from "../tapes/move-tape-state.ts";
import { lifecycleEvent } from "./lifecycle-event.ts";
import type { MediaSetRow } from "./media-set-decision.ts";

/**
 * Closes an open media set: nothing is appended to its tapes any more (they become full), and
 * its retention runs from its last write. False when another hub instance closed it first.
 */
export async function closeMediaSet(
  ctx: ServiceCtx,
  set: MediaSetRow,
  pool: typeof pools.$inferSelect,
  why: string,
): Promise<boolean> {
  const now = ctx.now();
  const expiresAt = reusableFrom(pool, set.lastWrittenAt ?? set.startedAt);
  const closed = await ctx.db
    .update(mediaSets)
    .set({ state: "closed", closedAt: now, expiresAt })
    .where(and(eq(mediaSets.id, set.id), eq(mediaSets.state, "open")))
    .returning({ id: mediaSets.id });
  if (closed.length === 0) return false;
  await lifecycleEvent(ctx, {
    action: "media-set.close",
    target: `media-set:${set.id}`,
    text: `Media set #${set.id} of pool ${pool.name} is closed (${why}); ${
      expiresAt ? `it is retained until ${expiresAt.toISOString()}` : "it is kept forever"
    }`,
    details: { poolId: pool.id, expiresAt: expiresAt?.toISOString() ?? null },
  });
  const members = await ctx.db.query.tapes.findMany({ where: eq(tapes.mediaSetId, set.id) });
  for (const tape of members)
    await moveTapeState(ctx, tape.id, ["active"], "full", `its media set #${set.id} is closed`);
  return true;
}

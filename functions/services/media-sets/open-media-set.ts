import { mediaSets, type pools } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { closeMediaSet } from "./close-media-set.ts";
import { lifecycleEvent } from "./lifecycle-event.ts";
import type { MediaSetDecision } from "./media-set-decision.ts";

/** Starts the pool's next media set as `decision` says, closing the one it replaces. */
export async function openMediaSet(
  ctx: ServiceCtx,
  pool: typeof pools.$inferSelect,
  decision: MediaSetDecision,
) {
  if (decision.current) await closeMediaSet(ctx, decision.current, pool, decision.why);
  const now = ctx.now();
  const [row] = await ctx.db
    .insert(mediaSets)
    .values({ poolId: pool.id, state: "open", startedAt: now })
    .returning();
  const set = getOrThrow(row, "Media set", pool.name);
  await lifecycleEvent(ctx, {
    action: "media-set.open",
    target: `media-set:${set.id}`,
    text: `Media set #${set.id} of pool ${pool.name} started: ${decision.why}`,
    details: { poolId: pool.id },
  });
  return set;
}

import { eq } from "drizzle-orm";
import { mediaSets, pools } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { reusableFrom } from "../pools/pool-policy.ts";

/**
 * Records a write into the media set. A run that started before its set was closed (another
 * job's run opened the next one) may still write into it: its retention then runs from this
 * write, never from the earlier one the close saw.
 */
export async function touchMediaSet(ctx: ServiceCtx, mediaSetId: number, at: Date): Promise<void> {
  const set = await ctx.db.query.mediaSets.findFirst({ where: eq(mediaSets.id, mediaSetId) });
  if (!set) return;
  const pool = await ctx.db.query.pools.findFirst({ where: eq(pools.id, set.poolId) });
  const expiresAt = set.state === "closed" && pool ? reusableFrom(pool, at) : set.expiresAt;
  await ctx.db
    .update(mediaSets)
    .set({ lastWrittenAt: at, expiresAt: set.state === "expired" ? set.expiresAt : expiresAt })
    .where(eq(mediaSets.id, mediaSetId));
}

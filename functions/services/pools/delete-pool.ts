import { count, eq } from "drizzle-orm";
import { jobs, mediaSets, pools, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { conflict } from "../../errors.ts";
import { getPool } from "./get-pool.ts";

/** A pool that still holds tapes or feeds jobs cannot go: those would lose their home. */
export async function deletePool(ctx: ServiceCtx, id: number) {
  const pool = await getPool(ctx, id);
  const [tapeCount] = await ctx.db.select({ n: count() }).from(tapes).where(eq(tapes.poolId, id));
  const [jobCount] = await ctx.db.select({ n: count() }).from(jobs).where(eq(jobs.poolId, id));
  const [setCount] = await ctx.db.select({ n: count() }).from(mediaSets).where(eq(mediaSets.poolId, id));
  if ((setCount?.n ?? 0) > 0)
    throw conflict(
      `Pool ${pool.name} holds the history of ${setCount?.n} media set(s); it cannot be deleted`,
    );
  if ((tapeCount?.n ?? 0) > 0 || (jobCount?.n ?? 0) > 0) {
    throw conflict(
      `Pool ${pool.name} still has ${tapeCount?.n ?? 0} tape(s) and ${jobCount?.n ?? 0} job(s); move them first`,
    );
  }
  await ctx.db.delete(pools).where(eq(pools.id, id));
  return pool;
}

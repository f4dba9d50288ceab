import { and, asc, eq, sql } from "drizzle-orm";
import { backupSets } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";

/**
 * Rolling verification: the complete set of the pool whose last verification is oldest, a set
 * never verified first (the oldest of those first).
 */
export async function nextSetToVerify(ctx: ServiceCtx, poolId: number) {
  const [set] = await ctx.db
    .select()
    .from(backupSets)
    .where(and(eq(backupSets.poolId, poolId), eq(backupSets.state, "complete")))
    .orderBy(sql`${backupSets.verifiedAt} is not null`, asc(backupSets.verifiedAt), asc(backupSets.startedAt))
    .limit(1);
  if (!set) throw new AppError("conflict", `Pool ${poolId} holds no complete set to verify`);
  return set;
}

import { eq } from "drizzle-orm";
import { backupSets } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { createdByScan, type OrderRow, rebuildOf } from "./scan-order.ts";

/**
 * The set a scan order may add catalog rows to: one that scans created, or the one the order
 * rebuilds; never another backup's.
 */
export async function scannedSetOf(ctx: ServiceCtx, order: OrderRow, setUuid: string) {
  const set = await ctx.db.query.backupSets.findFirst({ where: eq(backupSets.uuid, setUuid) });
  if (!set || (rebuildOf(order) !== setUuid && !(await createdByScan(ctx, set))))
    throw new AppError("not_found", `Backup set ${setUuid} was not created by a scan`);
  return set;
}

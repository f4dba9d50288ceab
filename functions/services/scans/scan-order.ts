import { eq } from "drizzle-orm";
import { type backupSets, jobRuns, type workOrders } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";

export type OrderRow = typeof workOrders.$inferSelect;

export function scanOnly(order: OrderRow): void {
  if (order.kind !== "scan") throw new AppError("conflict", `Order ${order.id} is not a scan`);
}

/** Whether a set came from a scan (so later scans may add its other tapes) rather than a backup. */
export async function createdByScan(ctx: ServiceCtx, set: typeof backupSets.$inferSelect): Promise<boolean> {
  if (!set.runId) return false;
  const run = await ctx.db.query.jobRuns.findFirst({ where: eq(jobRuns.id, set.runId) });
  return run?.kind === "scan";
}

/** The set whose catalog a scan order rebuilds from the tape's TOCs (rebuild-catalog), if any. */
export function rebuildOf(order: OrderRow): string | null {
  if (order.kind !== "scan") return null;
  const uuid = (order.payload as { rebuildSetUuid?: unknown }).rebuildSetUuid;
  return typeof uuid === "string" ? uuid : null;
}

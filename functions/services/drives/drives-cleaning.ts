import { and, eq, inArray } from "drizzle-orm";
import { workOrders } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { OPEN_ORDER_STATES } from "../orders/open-order-states.ts";

/**
 * The drives a cleaning cartridge is in or on its way to: an open library order to clean them
 * (queue-library-order.ts keeps the drive's id with the order). A clean is an order, not a run,
 * so the runs alone would show such a drive as idle.
 */
export async function drivesBeingCleaned(ctx: ServiceCtx): Promise<Set<number>> {
  const open = await ctx.db
    .select({ payload: workOrders.payload })
    .from(workOrders)
    .where(and(eq(workOrders.kind, "library"), inArray(workOrders.state, [...OPEN_ORDER_STATES])))
    .limit(200);
  const cleaning = new Set<number>();
  for (const { payload } of open) {
    const order = payload as { operation?: { op?: string }; driveId?: number };
    if (order.operation?.op === "clean" && typeof order.driveId === "number") cleaning.add(order.driveId);
  }
  return cleaning;
}

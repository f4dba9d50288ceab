import { and, eq } from "drizzle-orm";
import { jobRuns, workOrders } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import type { OrderRow } from "./order-of.ts";

export async function acknowledgeOrder(ctx: ServiceCtx, order: OrderRow): Promise<void> {
  const now = ctx.now();
  await ctx.db
    .update(workOrders)
    .set({ state: "acknowledged" })
    .where(and(eq(workOrders.id, order.id), eq(workOrders.state, "delivered")));
  if (order.runId) {
    await ctx.db
      .update(jobRuns)
      .set({ state: "running", startedAt: now, progressAt: now })
      .where(and(eq(jobRuns.id, order.runId), eq(jobRuns.state, "queued")));
  }
}

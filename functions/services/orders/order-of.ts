import { and, eq } from "drizzle-orm";
import { workOrders } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";

export type OrderRow = typeof workOrders.$inferSelect;

/** The agent's own order, or a 404 (an agent can never touch another agent's order). */
export async function orderOf(ctx: ServiceCtx, agentId: string, orderId: string): Promise<OrderRow> {
  const order = await ctx.db.query.workOrders.findFirst({
    where: and(eq(workOrders.id, orderId), eq(workOrders.agentId, agentId)),
  });
  if (!order) throw new AppError("not_found", `Work order ${orderId} does not exist for this agent`);
  return order;
}

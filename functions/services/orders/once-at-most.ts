import { orderReportReceipts } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import type { OrderRow } from "./order-of.ts";

export type Statement = Parameters<ServiceCtx["db"]["batch"]>[0][number];

/**
 * Applies a report's statements with its receipt, in one atomic batch: a report the agent sends
 * again (its first try may have arrived) fails on the receipt's key and changes nothing.
 */
export async function onceAtMost(
  ctx: ServiceCtx,
  order: OrderRow,
  seq: number | undefined,
  statements: [Statement, ...Statement[]],
): Promise<void> {
  if (seq === undefined) {
    await ctx.db.batch(statements);
    return;
  }
  try {
    await ctx.db.batch([
      ctx.db.insert(orderReportReceipts).values({ orderId: order.id, seq, receivedAt: ctx.now() }),
      ...statements,
    ]);
  } catch (error) {
    if (!String(error).includes("UNIQUE")) throw error;
  }
}

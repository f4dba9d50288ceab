import type { ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { orderOf } from "./order-of.ts";

/**
 * The agent's catalog-backup order it may fetch the catalog snapshot for: its own, a backup with
 * `catalogSnapshot`, and still running (a finished order gets no second copy of the catalog).
 */
export async function catalogSnapshotOrder(ctx: ServiceCtx, agentId: string, orderId: string) {
  const order = await orderOf(ctx, agentId, orderId);
  const payload = order.payload as { kind?: string; catalogSnapshot?: boolean };
  if (payload.kind !== "backup" || payload.catalogSnapshot !== true)
    throw new AppError("forbidden", `Work order ${orderId} is not a catalog backup`);
  if (order.state !== "delivered" && order.state !== "acknowledged")
    throw new AppError("conflict", `Work order ${orderId} is ${order.state}; no catalog snapshot for it`);
  return order;
}

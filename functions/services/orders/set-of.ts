import { eq } from "drizzle-orm";
import { backupSets } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { scannedSetOf } from "../scans/scanned-set-of.ts";
import type { OrderRow } from "./order-of.ts";

export async function setOf(ctx: ServiceCtx, order: OrderRow, setUuid: string) {
  if (order.kind === "scan") return scannedSetOf(ctx, order, setUuid);
  const set = await ctx.db.query.backupSets.findFirst({ where: eq(backupSets.uuid, setUuid) });
  if (!set || set.runId !== order.runId)
    throw new AppError("not_found", `Backup set ${setUuid} is not part of order ${order.id}`);
  return set;
}

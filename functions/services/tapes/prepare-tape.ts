import { and, eq, inArray } from "drizzle-orm";
import type { LabelOrderBody } from "../../../contracts/agent-protocol.ts";
import { type drives, type pools, type tapes, workOrders } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { lifecycleEvent } from "../media-sets/lifecycle-event.ts";
import { queueOrder } from "../orders/queue-order.ts";
import { reuseRefusal } from "./reuse-refusal.ts";

/**
 * Readies a tape of the pool for a waiting backup without an operator: a blank tape is labelled,
 * an expired one relabelled (reused) into the same pool after the reuse check, the agent first
 * reading its label and refusing any tape that is not the one checked. Null when the label order
 * is queued (or already was); otherwise why this tape may not be prepared.
 */
export async function prepareTape(
  ctx: ServiceCtx,
  tape: typeof tapes.$inferSelect,
  drive: typeof drives.$inferSelect,
  pool: typeof pools.$inferSelect,
): Promise<string | null> {
  const open = await ctx.db.query.workOrders.findMany({
    where: and(
      eq(workOrders.kind, "label"),
      inArray(workOrders.state, ["pending", "delivered", "acknowledged"]),
    ),
  });
  if (open.some((o) => (o.payload as { tapeId?: number }).tapeId === tape.id)) return null;
  const reuse = tape.state === "expired";
  if (reuse) {
    const refusal = await reuseRefusal(ctx, tape.id);
    if (refusal) return refusal;
  }
  const body: LabelOrderBody = {
    kind: "label",
    runId: null,
    drive: { devicePath: drive.devicePath },
    tape: { barcode: tape.barcode, label: tape.barcode, uuid: crypto.randomUUID(), pool: pool.name },
    force: reuse,
    expectedUuid: reuse ? tape.uuid : null,
  };
  await queueOrder(ctx, drive.agentId, body, { tapeId: tape.id, poolId: pool.id, reuse });
  await lifecycleEvent(ctx, {
    action: reuse ? "tape.reuse" : "tape.label",
    target: `tape:${tape.barcode}`,
    text: reuse
      ? `Tape ${tape.barcode} passed the reuse check (nothing retained depends on it) and is being relabelled into pool ${pool.name} on ${drive.name}`
      : `Blank tape ${tape.barcode} is being labelled into pool ${pool.name} on ${drive.name} for a waiting backup`,
    details: { tapeId: tape.id, driveId: drive.id },
  });
  return null;
}

import { eq } from "drizzle-orm";
import type { LabelOrderBody, OrderResult } from "../../../contracts/agent-protocol.ts";
import { tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { lifecycleEvent } from "../media-sets/lifecycle-event.ts";

/**
 * Applied when the agent reports the label written; the drive's word on the cartridge's capacity
 * is kept, and a result that does not know it leaves the catalog's as it was.
 */
export async function applyLabelResult(
  ctx: ServiceCtx,
  payload: Record<string, unknown>,
  result: Pick<OrderResult, "tapeCapacityBytes">,
) {
  const tapeId = payload.tapeId as number;
  const tape = (payload as unknown as LabelOrderBody).tape;
  const now = ctx.now();
  const before = await ctx.db.query.tapes.findFirst({ where: eq(tapes.id, tapeId) });
  await ctx.db
    .update(tapes)
    .set({
      label: tape.label,
      uuid: tape.uuid,
      poolId: payload.poolId as number,
      state: "active",
      fileCount: 1,
      usedBytes: 0,
      labelledAt: now,
      firstWrittenAt: null,
      lastWrittenAt: null,
      ...(result.tapeCapacityBytes ? { capacityBytes: result.tapeCapacityBytes } : {}),
      // A (re)labelled tape is in no media set until a backup writes to it.
      mediaSetId: null,
      expiresAt: null,
      updatedAt: now,
    })
    .where(eq(tapes.id, tapeId));
  await lifecycleEvent(ctx, {
    action: "tape.state",
    target: `tape:${tape.barcode}`,
    text:
      before?.state === "expired"
        ? `Tape ${tape.barcode} was reused: relabelled from BOT into its pool, now active in no media set`
        : `Tape ${tape.barcode} was labelled and is now active in no media set`,
    details: { tapeId, from: before?.state ?? null, to: "active", reused: before?.state === "expired" },
  });
}

import { and, eq, isNotNull } from "drizzle-orm";
import { z } from "zod";
import type { LabelOrderBody } from "../../../contracts/agent-protocol.ts";
import { changers, drives, pools, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError, conflict, notFound } from "../../errors.ts";
import { driveBusyReason } from "../drives/drive-busy.ts";
import { queueOrder } from "../orders/queue-order.ts";
import { isCleaningBarcode, mediaTypeOf } from "../tapes/media-type.ts";
import { reuseRefusal } from "../tapes/reuse-refusal.ts";

export const labelBlankCartridgesInput = z.object({ poolId: z.number().int().positive() });

type Outcome = { barcode: string; reason: string };

/**
 * Labels every blank barcoded cartridge in the changer's slots into the pool, in one action: the
 * label is the barcode, the LTO type comes from its suffix. Cleaning cartridges are left out, and
 * a cartridge holding data is refused (by the reuse rule) with the reason; an expired one that the
 * rule allows is relabelled. One label order per cartridge, all on one drive, run in turn.
 */
export async function labelBlankCartridges(
  ctx: ServiceCtx,
  changerId: number,
  input: z.output<typeof labelBlankCartridgesInput>,
) {
  const changer = await ctx.db.query.changers.findFirst({ where: eq(changers.id, changerId) });
  if (!changer) throw notFound("changer", changerId);
  const pool = await ctx.db.query.pools.findFirst({ where: eq(pools.id, input.poolId) });
  if (!pool) throw new AppError("validation_failed", `Pool ${input.poolId} does not exist`);
  const inSlots = await ctx.db.query.tapes.findMany({
    where: and(eq(tapes.changerId, changerId), isNotNull(tapes.slot)),
    orderBy: tapes.slot,
  });
  const chosen: (typeof inSlots)[number][] = [];
  const skipped: Outcome[] = [];
  const refused: Outcome[] = [];
  for (const tape of inSlots) {
    if (isCleaningBarcode(tape.barcode))
      skipped.push({ barcode: tape.barcode, reason: "cleaning cartridge" });
    else if (tape.state === "foreign")
      refused.push({ barcode: tape.barcode, reason: "holds another program's data; erase it first" });
    else if (tape.state !== "blank" && tape.state !== "expired")
      skipped.push({ barcode: tape.barcode, reason: `already labelled (${tape.state})` });
    else {
      const reason = await reuseRefusal(ctx, tape.id);
      if (reason) refused.push({ barcode: tape.barcode, reason });
      else chosen.push(tape);
    }
  }
  if (chosen.length === 0)
    throw conflict(`${changer.name} holds no blank cartridge to label`, { skipped, refused });
  const members = await ctx.db.query.drives.findMany({ where: eq(drives.changerId, changerId) });
  let drive: (typeof members)[number] | undefined;
  for (const candidate of members) if (!drive && !(await driveBusyReason(ctx, candidate))) drive = candidate;
  if (!drive) throw conflict(`No drive of ${changer.name} is free to label with; try again when one is idle`);
  const labelled: { barcode: string; orderId: string }[] = [];
  for (const tape of chosen) {
    const body: LabelOrderBody = {
      kind: "label",
      runId: null,
      drive: { devicePath: drive.devicePath },
      tape: { barcode: tape.barcode, label: tape.barcode, uuid: crypto.randomUUID(), pool: pool.name },
      // Only an expired tape the reuse rule allowed is written over.
      force: tape.state === "expired",
    };
    const orderId = await queueOrder(ctx, drive.agentId, body, { tapeId: tape.id, poolId: pool.id });
    labelled.push({ barcode: tape.barcode, orderId });
  }
  for (const tape of chosen) {
    const generation = mediaTypeOf(tape.barcode);
    if (generation && generation !== tape.generation)
      await ctx.db.update(tapes).set({ generation }).where(eq(tapes.id, tape.id));
  }
  return { pool: pool.name, drive: drive.name, labelled, skipped, refused };
}

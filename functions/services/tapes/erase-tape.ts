import { eq } from "drizzle-orm";
import { z } from "zod";
import { backupSetSegments, backupSets } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError, conflict } from "../../errors.ts";
import { queueLibraryOrder } from "../library/queue-library-order.ts";
import { getTape } from "./get-tape.ts";
import { isCleaningBarcode } from "./media-type.ts";
import { reuseRefusal } from "./reuse-refusal.ts";

export const eraseTapeInput = z.object({
  /** Long erase: the whole tape (hours on a real drive); short: it reads as blank at once. */
  long: z.boolean().default(false),
  /** The operator types the tape's barcode to confirm what will be lost. */
  confirm: z.string().trim(),
});

/** What erasing the tape destroys, in words for the confirmation. */
export async function eraseWarning(ctx: ServiceCtx, tapeId: number): Promise<string> {
  const tape = await getTape(ctx, tapeId);
  const sets = await ctx.db
    .selectDistinct({ id: backupSets.id })
    .from(backupSetSegments)
    .innerJoin(backupSets, eq(backupSets.id, backupSetSegments.setId))
    .where(eq(backupSetSegments.tapeId, tapeId));
  const data = sets.length
    ? `${sets.length} backup set(s) (${sets.map((s) => `set ${s.id}`).join(", ")}), which can no longer be restored from it`
    : tape.state === "foreign"
      ? "another program's data"
      : "its label";
  return `Erasing ${tape.barcode} destroys ${data}.`;
}

/**
 * Erases a tape in a changer so it reads as blank (short) or all over (long). Refused while the
 * reuse rule says its data is still retained; the caller must type the barcode to confirm.
 */
export async function eraseTape(ctx: ServiceCtx, tapeId: number, input: z.output<typeof eraseTapeInput>) {
  const tape = await getTape(ctx, tapeId);
  if (input.confirm !== tape.barcode)
    throw new AppError(
      "validation_failed",
      `Type the barcode ${tape.barcode} to confirm: ${await eraseWarning(ctx, tapeId)}`,
    );
  if (isCleaningBarcode(tape.barcode))
    throw conflict(`${tape.barcode} is a cleaning cartridge; it cannot be erased`);
  const refusal = await reuseRefusal(ctx, tapeId);
  if (refusal) throw conflict(`Erase refused: ${refusal}`);
  if (!tape.changerId)
    throw conflict(`${tape.barcode} is in no changer the agents report; load it into a library to erase it`);
  const queued = await queueLibraryOrder(
    ctx,
    {
      changerId: tape.changerId,
      operation: { op: "erase", barcode: tape.barcode, long: input.long, expectedLabel: tape.label },
    },
    { tapeId: tape.id },
  );
  return { ...queued, tape: tape.barcode, long: input.long };
}

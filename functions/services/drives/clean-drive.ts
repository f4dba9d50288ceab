import { and, eq, like } from "drizzle-orm";
import { z } from "zod";
import { drives, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { conflict, notFound } from "../../errors.ts";
import { queueLibraryOrder } from "../library/queue-library-order.ts";

export const cleanDriveInput = z.object({
  /** The cleaning cartridge; default: the one of the drive's changer with the most uses left. */
  barcode: z
    .string()
    .regex(/^CLN[A-Z0-9]{0,13}$/, "a cleaning cartridge's barcode starts with CLN")
    .optional(),
});

/** Queues a clean of the drive with a CLN cartridge of its changer; `trigger` says why (auto). */
export async function cleanDrive(
  ctx: ServiceCtx,
  driveId: number,
  input: z.output<typeof cleanDriveInput>,
  trigger: string | null = null,
) {
  const drive = await ctx.db.query.drives.findFirst({ where: eq(drives.id, driveId) });
  if (!drive) throw notFound("drive", driveId);
  if (!drive.changerId)
    throw conflict(`${drive.name} is in no changer; insert a cleaning cartridge into it by hand`);
  const cartridge = await usableCleaningCartridge(ctx, drive.changerId, input.barcode);
  if (!cartridge)
    throw conflict(
      input.barcode
        ? `${input.barcode} is not a usable cleaning cartridge in ${drive.name}'s changer`
        : `${drive.name}'s changer holds no usable cleaning cartridge (CLN barcode); import one through a mail slot`,
    );
  const queued = await queueLibraryOrder(
    ctx,
    { changerId: drive.changerId, driveId: drive.id, operation: { op: "clean", barcode: cartridge.barcode } },
    { tapeId: cartridge.id, auto: trigger !== null, trigger },
  );
  return { ...queued, cartridge: cartridge.barcode };
}

/** A CLN cartridge in a slot of the changer that is not spent, the least used first. */
async function usableCleaningCartridge(ctx: ServiceCtx, changerId: number, barcode: string | undefined) {
  const found = await ctx.db.query.tapes.findMany({
    where: and(
      eq(tapes.changerId, changerId),
      barcode ? eq(tapes.barcode, barcode) : like(tapes.barcode, "CLN%"),
    ),
  });
  return (
    found
      .filter(
        (t) => t.slot !== null && (t.cleaningMaxUses === null || (t.cleaningUses ?? 0) < t.cleaningMaxUses),
      )
      .sort((a, b) => (a.cleaningUses ?? 0) - (b.cleaningUses ?? 0))[0] ?? null
  );
}

import { eq, inArray } from "drizzle-orm";
import { z } from "zod";
import { changers, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError, conflict, notFound } from "../../errors.ts";
import { queueLibraryOrder } from "./queue-library-order.ts";

export const exportTapesInput = z
  .object({
    tapeIds: z.array(z.number().int().positive()).min(1).max(1000).optional(),
    /** Every tape of the pool (its media sets) that is in this changer. */
    poolId: z.number().int().positive().optional(),
    /** Where the cartridges go (vault, site B); recorded on each tape. */
    location: z.string().trim().min(1).max(200),
  })
  .refine((v) => (v.tapeIds ? 1 : 0) + (v.poolId ? 1 : 0) === 1, "give tapeIds or poolId, not both");

/** Moves tapes (or a pool's tapes) of the changer to its mail slots; the result records them offsite. */
export async function exportTapes(
  ctx: ServiceCtx,
  changerId: number,
  input: z.output<typeof exportTapesInput>,
) {
  const changer = await ctx.db.query.changers.findFirst({ where: eq(changers.id, changerId) });
  if (!changer) throw notFound("changer", changerId);
  const chosen = await ctx.db.query.tapes.findMany({
    where: input.tapeIds ? inArray(tapes.id, input.tapeIds) : eq(tapes.poolId, input.poolId as number),
  });
  if (input.tapeIds && chosen.length !== input.tapeIds.length)
    throw new AppError("validation_failed", "Some of the tapes do not exist");
  const here = chosen.filter((t) => t.changerId === changerId);
  const elsewhere = chosen.filter((t) => t.changerId !== changerId).map((t) => t.barcode);
  if (here.length === 0)
    throw conflict(
      `None of those tapes is in ${changer.name}${elsewhere.length ? ` (${elsewhere.join(", ")} are not)` : ""}`,
    );
  const queued = await queueLibraryOrder(
    ctx,
    { changerId, operation: { op: "export", barcodes: here.map((t) => t.barcode) } },
    { location: input.location },
  );
  return { ...queued, tapes: here.map((t) => t.barcode), notInChanger: elsewhere };
}

import { eq, inArray } from "drizzle-orm";
import { z } from "zod";
import { changers, mediaSets, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError, conflict, notFound } from "../../errors.ts";
import { queueLibraryOrder } from "./queue-library-order.ts";

export const exportTapesInput = z
  .object({
    tapeIds: z.array(z.number().int().positive()).min(1).max(1000).optional(),
    /** Every tape of the pool (its media sets) that is in this changer. */
    poolId: z.number().int().positive().optional(),
    /** Every tape of one media set (what is retained and rotated offsite as one) that is in this changer. */
    mediaSetId: z.number().int().positive().optional(),
    /** Where the cartridges go (vault, site B); recorded on each tape. */
    location: z.string().trim().min(1).max(200),
  })
  .refine(
    (v) => (v.tapeIds ? 1 : 0) + (v.poolId ? 1 : 0) + (v.mediaSetId ? 1 : 0) === 1,
    "give one of tapeIds, poolId or mediaSetId",
  );

/** Moves tapes (a pool's, a media set's) of the changer to its mail slots; the result records them offsite. */
export async function exportTapes(
  ctx: ServiceCtx,
  changerId: number,
  input: z.output<typeof exportTapesInput>,
) {
  const changer = await ctx.db.query.changers.findFirst({ where: eq(changers.id, changerId) });
  if (!changer) throw notFound("changer", changerId);
  if (input.mediaSetId) {
    const set = await ctx.db.query.mediaSets.findFirst({ where: eq(mediaSets.id, input.mediaSetId) });
    if (!set) throw notFound("media set", input.mediaSetId);
  }
  const chosen = await ctx.db.query.tapes.findMany({
    where: input.tapeIds
      ? inArray(tapes.id, input.tapeIds)
      : input.mediaSetId
        ? eq(tapes.mediaSetId, input.mediaSetId)
        : eq(tapes.poolId, input.poolId as number),
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

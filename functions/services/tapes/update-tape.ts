import { eq } from "drizzle-orm";
import { z } from "zod";
import { TAPE_STATES, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getPool } from "../pools/get-pool.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { patchSchema } from "../shared/input-schemas.ts";
import { createTapeInput } from "./create-tape.ts";

/** Tape state here is bookkeeping (offsite, retired); writing a label is a drive operation. */
export const updateTapeInput = patchSchema(
  createTapeInput.omit({ barcode: true, siteId: true }).extend({ state: z.enum(TAPE_STATES) }),
);

export async function updateTape(ctx: ServiceCtx, id: number, input: z.output<typeof updateTapeInput>) {
  if (input.poolId) await getPool(ctx, input.poolId);
  const [row] = await ctx.db
    .update(tapes)
    .set({ ...input, updatedAt: ctx.now() })
    .where(eq(tapes.id, id))
    .returning();
  return getOrThrow(row, "Tape", id);
}

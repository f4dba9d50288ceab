import { and, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import { mediaSets, TAPE_STATES, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { conflict } from "../../errors.ts";
import { getPool } from "../pools/get-pool.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { patchSchema } from "../shared/input-schemas.ts";
import { createTapeInput } from "./create-tape.ts";
import { getTape } from "./get-tape.ts";
import { moveTapeState } from "./move-tape-state.ts";
import { stateOnReturn } from "./state-on-return.ts";
import { poolRefusal, returnsHome, tapeTransitionRefusal } from "./tape-transition.ts";

/** Tape state here is bookkeeping (offsite, exported, retired); writing a label is a drive operation. */
export const updateTapeInput = patchSchema(
  createTapeInput.omit({ barcode: true, siteId: true }).extend({ state: z.enum(TAPE_STATES) }),
);

/**
 * Edits a tape; a state change goes through the rules of what an operator may say by hand
 * (`tape-transition.ts`) and is audited. A cleaning cartridge never joins a pool.
 */
export async function updateTape(
  ctx: ServiceCtx,
  id: number,
  input: z.output<typeof updateTapeInput>,
  actor?: { name: string; userId: number | null },
) {
  const tape = await getTape(ctx, id);
  const { state, ...rest } = input;
  const to = state && state !== tape.state ? state : undefined;
  const refusal =
    (to ? tapeTransitionRefusal(tape, to) : null) ??
    poolRefusal({ ...tape, state: to ?? tape.state }, rest.poolId);
  if (refusal) throw conflict(refusal);
  if (rest.poolId) await getPool(ctx, rest.poolId);
  await ctx.db
    .update(tapes)
    .set({ ...rest, ...(to === "cleaning" ? { poolId: null } : {}), updatedAt: ctx.now() })
    .where(eq(tapes.id, id));
  if (to) {
    const target = returnsHome(tape.state, to) ? await stateOnReturn(ctx, tape) : to;
    const why =
      to === "offsite" || to === "exported"
        ? `marked ${to}${rest.location ? ` at ${rest.location}` : ""}`
        : "by hand";
    await moveTapeState(ctx, id, [tape.state], target, why, {}, actor ?? { name: "operator", userId: null });
    if ((to === "offsite" || to === "exported") && tape.mediaSetId !== null)
      await ctx.db
        .update(mediaSets)
        .set({ offsiteAt: ctx.now() })
        .where(and(eq(mediaSets.id, tape.mediaSetId), isNull(mediaSets.offsiteAt)));
  }
  return getOrThrow(await ctx.db.query.tapes.findFirst({ where: eq(tapes.id, id) }), "Tape", id);
}

import { and, eq, inArray } from "drizzle-orm";
import { type TapeState, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { lifecycleEvent } from "../media-sets/lifecycle-event.ts";

/**
 * Moves a tape from one of `from` to `to`, conditionally (a tape another hub instance moved
 * first stays as it is), and audits the transition with `why`. True when this call moved it.
 */
export async function moveTapeState(
  ctx: ServiceCtx,
  tapeId: number,
  from: readonly TapeState[],
  to: TapeState,
  why: string,
  extra: Partial<typeof tapes.$inferInsert> = {},
  actor?: { name: string; userId: number | null },
): Promise<boolean> {
  const moved = await ctx.db
    .update(tapes)
    .set({ ...extra, state: to, updatedAt: ctx.now() })
    .where(and(eq(tapes.id, tapeId), inArray(tapes.state, [...from])))
    .returning({ barcode: tapes.barcode });
  const tape = moved[0];
  if (!tape) return false;
  await lifecycleEvent(ctx, {
    action: "tape.state",
    target: `tape:${tape.barcode}`,
    actor: actor?.name,
    userId: actor?.userId ?? null,
    text: `Tape ${tape.barcode} is now ${to}: ${why}`,
    details: { tapeId, from, to },
  });
  return true;
}

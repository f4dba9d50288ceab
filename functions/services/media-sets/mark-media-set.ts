import { and, eq, inArray, isNull } from "drizzle-orm";
import { z } from "zod";
import { jobRuns, mediaSets, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { conflict } from "../../errors.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { moveTapeState } from "../tapes/move-tape-state.ts";
import { stateOnReturn } from "../tapes/state-on-return.ts";
import { AWAY_STATES } from "./offsite-rotation.ts";

export const markMediaSetInput = z.object({
  /** offsite: in the vault, asked back by rotation; exported: gone for good; returned: back home. */
  to: z.enum(["offsite", "exported", "returned"]),
  /** Where the cartridges are (vault, site B); required to send them away. */
  location: z.string().trim().min(1).max(200).optional(),
});

/** States a media set's tape may leave from; a blank or retired one is not part of a set's trip. */
const LEAVES_FROM = ["active", "full", "expired", "offsite"] as const;

/**
 * Marks every tape of a media set offsite, exported or returned, each transition audited. Refused
 * while a tape is loaded in a drive or reserved by an unfinished run: eject it first. A set sent
 * offsite starts counting its days away; one returned is not asked out again.
 */
export async function markMediaSet(
  ctx: ServiceCtx,
  id: number,
  input: z.output<typeof markMediaSetInput>,
  actor: { name: string; userId: number | null },
) {
  const set = getOrThrow(
    await ctx.db.query.mediaSets.findFirst({ where: eq(mediaSets.id, id) }),
    "Media set",
    id,
  );
  const members = await ctx.db.query.tapes.findMany({ where: eq(tapes.mediaSetId, set.id) });
  if (members.length === 0) throw conflict(`Media set #${set.id} has no tape any more`);
  const moved: string[] = [];
  if (input.to === "returned") {
    for (const tape of members.filter((t) => (AWAY_STATES as readonly string[]).includes(t.state))) {
      const to = await stateOnReturn(ctx, tape);
      if (
        await moveTapeState(ctx, tape.id, AWAY_STATES, to, "returned from offsite", { location: null }, actor)
      )
        moved.push(tape.barcode);
    }
    return { mediaSetId: set.id, to: input.to, tapes: moved };
  }
  if (!input.location) throw conflict("Say where the tapes go (location), e.g. the vault's name");
  const loaded = members.find((t) => t.driveId !== null);
  if (loaded)
    throw conflict(`Tape ${loaded.barcode} is in a drive: eject it first, then mark the set ${input.to}`);
  const held = await ctx.db.query.jobRuns.findFirst({
    where: and(
      isNull(jobRuns.finishedAt),
      inArray(
        jobRuns.currentTapeId,
        members.map((t) => t.id),
      ),
    ),
  });
  if (held)
    throw conflict(`Run #${held.id} (${held.kind}) holds a tape of media set #${set.id}; wait for it to end`);
  const where = `${input.to === "exported" ? "exported to" : "offsite at"} ${input.location}`;
  for (const tape of members) {
    if (await moveTapeState(ctx, tape.id, LEAVES_FROM, input.to, where, { location: input.location }, actor))
      moved.push(tape.barcode);
  }
  if (set.offsiteAt === null)
    await ctx.db.update(mediaSets).set({ offsiteAt: ctx.now() }).where(eq(mediaSets.id, set.id));
  return { mediaSetId: set.id, to: input.to, tapes: moved };
}

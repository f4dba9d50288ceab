import { and, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import { jobRuns, tapeMoves, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { conflict } from "../../errors.ts";
import { ACTIVE_RUN_STATES } from "../runs/run-states.ts";
import { optionalText } from "../shared/input-schemas.ts";
import { activeSite } from "../sites/active-site.ts";

export const moveTapesInput = z.object({
  toSiteId: z.number().int().positive(),
  /** Where at the new site (a shelf, "library L2 mail slot"); the new site's inventory finds it in a slot. */
  location: optionalText(200),
  note: optionalText(500),
});

/**
 * Carries a tape, or every tape of a media set, to another site: each gets a move row (its
 * history), leaves the changer slot it had at the old site, and belongs to the new site from now
 * on, so restores plan it there. A tape in a drive or in use by a run stays where it is.
 */
export async function moveTapes(
  ctx: ServiceCtx,
  what: { tapeId: number } | { mediaSetId: number },
  input: z.output<typeof moveTapesInput>,
  actor: string,
) {
  const site = await activeSite(ctx, input.toSiteId);
  const rows = await ctx.db.query.tapes.findMany({
    where: "tapeId" in what ? eq(tapes.id, what.tapeId) : eq(tapes.mediaSetId, what.mediaSetId),
  });
  if (rows.length === 0)
    throw conflict(
      "tapeId" in what ? `Tape ${what.tapeId} does not exist` : `Media set ${what.mediaSetId} has no tapes`,
    );
  const loaded = rows.find((t) => t.driveId !== null);
  if (loaded) throw conflict(`${loaded.barcode} is in a drive; eject it before moving it to ${site.name}`);
  const ids = rows.map((t) => t.id);
  const busy = await ctx.db.query.jobRuns.findFirst({
    where: and(inArray(jobRuns.currentTapeId, ids), inArray(jobRuns.state, [...ACTIVE_RUN_STATES])),
  });
  if (busy) throw conflict(`Run ${busy.id} is using a tape of these; wait for it to end before moving them`);
  const moving = rows.filter((t) => t.siteId !== site.id);
  if (moving.length === 0) throw conflict(`Already at ${site.name}`);
  const now = ctx.now();
  const mediaSetId = "mediaSetId" in what ? what.mediaSetId : null;
  await ctx.db.insert(tapeMoves).values(
    moving.map((t) => ({
      tapeId: t.id,
      fromSiteId: t.siteId,
      toSiteId: site.id,
      mediaSetId,
      movedAt: now,
      actor,
      note: input.note ?? null,
    })),
  );
  await ctx.db
    .update(tapes)
    .set({ siteId: site.id, changerId: null, slot: null, location: input.location ?? null, updatedAt: now })
    .where(
      inArray(
        tapes.id,
        moving.map((t) => t.id),
      ),
    );
  return {
    site: { id: site.id, name: site.name },
    moved: moving.map((t) => ({ id: t.id, barcode: t.barcode })),
  };
}

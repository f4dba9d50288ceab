import { eq } from "drizzle-orm";
import { backupSetSegments, mediaSets, type TapeState, type tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";

/**
 * The state of a tape back from offsite or export: expired when its media set's retention ended
 * while it was away (reusable after the reuse check), full when it holds sets (nothing is
 * appended to a tape that travelled until an operator says so), active otherwise.
 */
export async function stateOnReturn(ctx: ServiceCtx, tape: typeof tapes.$inferSelect): Promise<TapeState> {
  const set = tape.mediaSetId
    ? await ctx.db.query.mediaSets.findFirst({ where: eq(mediaSets.id, tape.mediaSetId) })
    : undefined;
  if (set?.state === "expired") return "expired";
  const held = await ctx.db.query.backupSetSegments.findFirst({
    where: eq(backupSetSegments.tapeId, tape.id),
  });
  return held ? "full" : "active";
}

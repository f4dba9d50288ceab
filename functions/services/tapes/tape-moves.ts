import { desc, eq } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { sites, tapeMoves } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";

/** A tape's journeys between sites, newest first, with the sites' names. */
export async function tapeMoveHistory(ctx: ServiceCtx, tapeId: number) {
  const from = alias(sites, "from_site");
  const to = alias(sites, "to_site");
  return ctx.db
    .select({
      movedAt: tapeMoves.movedAt,
      from: from.name,
      to: to.name,
      actor: tapeMoves.actor,
      mediaSetId: tapeMoves.mediaSetId,
      note: tapeMoves.note,
    })
    .from(tapeMoves)
    .leftJoin(from, eq(from.id, tapeMoves.fromSiteId))
    .leftJoin(to, eq(to.id, tapeMoves.toSiteId))
    .where(eq(tapeMoves.tapeId, tapeId))
    .orderBy(desc(tapeMoves.movedAt), desc(tapeMoves.id))
    .limit(200);
}

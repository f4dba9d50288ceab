import { asc, eq } from "drizzle-orm";
import { backupSetSegments, backupSets, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";

export async function getSet(ctx: ServiceCtx, id: number) {
  const set = getOrThrow(
    await ctx.db.query.backupSets.findFirst({ where: eq(backupSets.id, id) }),
    "Backup set",
    id,
  );
  const segments = await ctx.db
    .select({
      sequence: backupSetSegments.sequence,
      barcode: tapes.barcode,
      fileNumber: backupSetSegments.fileNumber,
      bytes: backupSetSegments.bytes,
      complete: backupSetSegments.complete,
      /** Entries the agent (or the tape's TOC, after a rebuild) says this tape's catalog holds. */
      catalogEntries: backupSetSegments.catalogEntries,
      /** The catalog was found to hold exactly those. */
      catalogChecked: backupSetSegments.catalogChecked,
    })
    .from(backupSetSegments)
    .innerJoin(tapes, eq(tapes.id, backupSetSegments.tapeId))
    .where(eq(backupSetSegments.setId, id))
    .orderBy(asc(backupSetSegments.sequence));
  return { ...set, segments };
}

import { and, eq, inArray, sql } from "drizzle-orm";
import { catalogChunks, catalogEntries } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";

/** Rows one delete removes: a bounded statement on every driver, D1 included (db/limits.ts). */
const ROWS_PER_DELETE = 5_000;

/**
 * Drops the file entries of a set that is no longer retained; the set row (which job, when,
 * which tapes) stays as history. Deletes in bounded statements, so a set of millions of entries
 * never makes one statement run past D1's query time. Returns how many entries went.
 */
export async function dropSetEntries(ctx: ServiceCtx, setId: number): Promise<number> {
  let dropped = 0;
  for (;;) {
    const batch = ctx.db
      .select({ id: catalogEntries.id })
      .from(catalogEntries)
      .where(eq(catalogEntries.setId, setId))
      .limit(ROWS_PER_DELETE);
    const gone = await ctx.db
      .delete(catalogEntries)
      .where(and(eq(catalogEntries.setId, setId), inArray(catalogEntries.id, batch)))
      .returning({ id: sql<number>`1` });
    dropped += gone.length;
    if (gone.length < ROWS_PER_DELETE) break;
  }
  await ctx.db.delete(catalogChunks).where(eq(catalogChunks.setId, setId));
  return dropped;
}

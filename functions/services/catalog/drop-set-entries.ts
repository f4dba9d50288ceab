import { and, asc, count, eq, lte } from "drizzle-orm";
import { catalogEntries } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";

/**
 * Entries deleted per statement: each statement stays far inside D1's 30 s query limit, and a set
 * of 10M entries takes 400 queries, within the 1,000 a Worker invocation may make
 * (functions/db/limits.ts).
 */
const ENTRIES_PER_STATEMENT = 50_000;

/**
 * Deletes every catalog entry of a set (the set row itself stays), a slice of ids at a time, in
 * id order; a name no entry holds any more leaves catalog_names (and its trigram index) with it,
 * by trigger. Safe to repeat or to resume after a failure: each slice is committed on its own.
 */
export async function dropSetEntries(ctx: ServiceCtx, setId: number): Promise<{ entries: number }> {
  let entries = 0;
  for (;;) {
    const [last] = await ctx.db
      .select({ id: catalogEntries.id })
      .from(catalogEntries)
      .where(eq(catalogEntries.setId, setId))
      .orderBy(asc(catalogEntries.id))
      .limit(1)
      .offset(ENTRIES_PER_STATEMENT - 1);
    if (last) {
      await ctx.db
        .delete(catalogEntries)
        .where(and(eq(catalogEntries.setId, setId), lte(catalogEntries.id, last.id)));
      entries += ENTRIES_PER_STATEMENT;
      continue;
    }
    const [rest] = await ctx.db
      .select({ n: count() })
      .from(catalogEntries)
      .where(eq(catalogEntries.setId, setId));
    await ctx.db.delete(catalogEntries).where(eq(catalogEntries.setId, setId));
    return { entries: entries + (rest?.n ?? 0) };
  }
}

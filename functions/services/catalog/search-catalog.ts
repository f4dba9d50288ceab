import { and, asc, eq, getTableColumns, gt, lte, type SQL, sql } from "drizzle-orm";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { z } from "zod";
import { catalogEntries } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";

export const searchQuery = z.object({
  /** Name prefix (case-sensitive, uses the index) … */
  q: z.string().min(1).max(255).optional(),
  /** … or a glob on the name (`*.pdf`, `report-202?-*`). */
  glob: z.string().min(1).max(255).optional(),
  setId: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.coerce.number().int().min(0).optional(),
});

/**
 * The trigram index over names (migration 0003, an FTS5 virtual table outside the drizzle schema so
 * drizzle-kit never tries to create it as a plain table). Its rowid is catalog_entries.id.
 */
const namesIndex = sqliteTable("catalog_names_fts", {
  rowid: integer("rowid").notNull(),
  name: text("name").notNull(),
});

/**
 * Whether a glob goes through the trigram index: when it has no literal prefix of three characters
 * (which the name index answers by range, faster) and has three characters in a row that
 * are not wildcards (`*`, `?`, a `[...]` class), which the trigram index needs. Other globs
 * (`*.c`, `a?b`) test the names in id order.
 */
export function trigramSearchable(glob: string): boolean {
  const prefix = /^[^*?[]*/.exec(glob)?.[0] ?? "";
  if ([...prefix].length >= 3) return false;
  const literals = glob.replace(/\[\^?\]?[^\]]*\]/g, "*").split(/[*?]/);
  return literals.some((piece) => [...piece].length >= 3);
}

/** A name range holding this many entries or more is dense: its first page lies among the next ids. */
const DENSE_RANGE = 20_000;

/** How many ids a dense range's page is looked for in, in id order, before sorting the range. */
const ID_WINDOW = 200_000;

/**
 * Name search over the whole catalog (or one set), in catalog order (entry id), a page at a time.
 * A prefix, or a glob starting with three literal characters, uses the (name, dir, set_id) index
 * range, whose matches are sorted by id; when a prefix's range is dense (a short prefix such as
 * `s`, over all sets), the page is first looked for among the next ids in order instead of
 * sorting the range.
 * A glob starting with a wildcard goes through the trigram index (migration 0003), which yields
 * candidates in id order so a page ends as soon as it is full, however rare the name; globs with
 * no three literal characters in a row test every name (bench/README.md, catalog search).
 */
export async function searchCatalog(ctx: ServiceCtx, query: z.output<typeof searchQuery>) {
  if (!query.q && !query.glob) throw new AppError("validation_failed", "Give q (a name prefix) or glob");
  const take = query.limit + 1;
  let rows: (typeof catalogEntries.$inferSelect)[];
  if (!query.q && query.glob && trigramSearchable(query.glob)) {
    rows = await ctx.db
      .select(getTableColumns(catalogEntries))
      .from(namesIndex)
      .innerJoin(catalogEntries, eq(catalogEntries.id, namesIndex.rowid))
      .where(
        and(
          sql`${namesIndex.name} glob ${query.glob}`,
          query.setId ? eq(catalogEntries.setId, query.setId) : undefined,
          query.cursor === undefined ? undefined : gt(namesIndex.rowid, query.cursor),
        ),
      )
      .orderBy(asc(namesIndex.rowid))
      .limit(take);
  } else {
    // `+column` keeps SQLite off the indexes, for the walk in id order.
    const matching = (indexed: boolean) => {
      const name = indexed ? sql`${catalogEntries.name}` : sql`+${catalogEntries.name}`;
      return and(
        query.q
          ? sql`${name} >= ${query.q} and ${name} < ${`${query.q}\u{10FFFF}`}`
          : sql`${name} glob ${query.glob}`,
        query.setId
          ? indexed
            ? eq(catalogEntries.setId, query.setId)
            : sql`+${catalogEntries.setId} = ${query.setId}`
          : undefined,
      );
    };
    const from = query.cursor ?? 0;
    const page = (where: SQL | undefined, limit: number) =>
      ctx.db.select().from(catalogEntries).where(where).orderBy(asc(catalogEntries.id)).limit(limit);
    const range = and(matching(true), gt(catalogEntries.id, from));
    // A prefix's range size, counted on the index (no row read) and capped; a glob's is not
    // counted: without a literal prefix it has no range, and with one the range is narrow. Within
    // one set the walk in id order is not tried: the set's entries mostly lie far past the cursor.
    let dense = false;
    if (query.q && !query.setId) {
      const probe = ctx.db
        .select({ one: sql`1` })
        .from(catalogEntries)
        .where(matching(true))
        .limit(DENSE_RANGE)
        .as("probe");
      const [counted] = await ctx.db.select({ n: sql<number>`count(*)` }).from(probe);
      dense = (counted?.n ?? 0) >= DENSE_RANGE;
    }
    if (!dense) rows = await page(range, take);
    else {
      const end = from + ID_WINDOW;
      rows = await page(and(matching(false), gt(catalogEntries.id, from), lte(catalogEntries.id, end)), take);
      if (rows.length < take)
        rows.push(...(await page(and(matching(true), gt(catalogEntries.id, end)), take - rows.length)));
    }
  }
  const items = rows.slice(0, query.limit);
  return { items, nextCursor: rows.length > query.limit ? (items.at(-1)?.id ?? null) : null };
}

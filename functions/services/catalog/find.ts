import { and, asc, desc, eq, getTableColumns, gt, lt, lte, type SQL, sql } from "drizzle-orm";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { z } from "zod";
import { backupSetSegments, backupSets, catalogEntries, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { catalogPath, splitPath } from "./paths.ts";
import { chainOf } from "./set-chain.ts";

const MAX_PATH = 4096;

export const browseQuery = z.object({
  dir: catalogPath.default(""),
  /** Keyset: the last name of the previous page. */
  after: z.string().max(MAX_PATH).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

export const versionsQuery = z.object({ path: catalogPath.refine((p) => p.length > 0, "give a path") });

export const searchQuery = z.object({
  /** Name prefix (case-sensitive, uses the index) … */
  q: z.string().min(1).max(255).optional(),
  /** … or a glob on the name (`*.pdf`, `report-202?-*`). */
  glob: z.string().min(1).max(255).optional(),
  setId: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.coerce.number().int().min(0).optional(),
});

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

export async function listSets(
  ctx: ServiceCtx,
  page: { limit: number; cursor?: number | undefined },
  jobId?: number,
) {
  const rows = await ctx.db.query.backupSets.findMany({
    where: and(
      page.cursor === undefined ? undefined : lt(backupSets.id, page.cursor),
      jobId ? eq(backupSets.jobId, jobId) : undefined,
    ),
    orderBy: desc(backupSets.id),
    limit: page.limit + 1,
  });
  const items = rows.slice(0, page.limit);
  return { items, nextCursor: rows.length > page.limit ? (items.at(-1)?.id ?? null) : null };
}

/** One directory of a set, by name, a page at a time (index catalog_set_dir_idx). */
export async function browseSet(ctx: ServiceCtx, setId: number, query: z.output<typeof browseQuery>) {
  await getOrThrow(
    await ctx.db.query.backupSets.findFirst({ where: eq(backupSets.id, setId), columns: { id: true } }),
    "Backup set",
    setId,
  );
  const rows = await ctx.db
    .select()
    .from(catalogEntries)
    .where(
      and(
        eq(catalogEntries.setId, setId),
        eq(catalogEntries.dir, query.dir),
        query.after === undefined ? undefined : gt(catalogEntries.name, query.after),
      ),
    )
    .orderBy(asc(catalogEntries.name))
    .limit(query.limit + 1);
  const items = rows.slice(0, query.limit);
  return {
    dir: query.dir,
    items,
    nextAfter: rows.length > query.limit ? (items.at(-1)?.name ?? null) : null,
  };
}

/**
 * One directory of the tree as it was after a set ran: the set's chain merged (later versions
 * win, deleted paths gone), each entry with the set holding its version, a page at a time.
 */
export async function browseTree(ctx: ServiceCtx, setId: number, query: z.output<typeof browseQuery>) {
  const set = getOrThrow(
    await ctx.db.query.backupSets.findFirst({ where: eq(backupSets.id, setId) }),
    "Backup set",
    setId,
  );
  const chain = await chainOf(ctx, set);
  const byName = new Map<string, typeof catalogEntries.$inferSelect>();
  for (const member of chain.sets) {
    const rows = await ctx.db
      .select()
      .from(catalogEntries)
      .where(
        and(
          eq(catalogEntries.setId, member.id),
          eq(catalogEntries.dir, query.dir),
          query.after === undefined ? undefined : gt(catalogEntries.name, query.after),
        ),
      );
    for (const row of rows) {
      if (row.deleted) byName.delete(row.name);
      else byName.set(row.name, row);
    }
  }
  // Byte order, as SQLite compares names, so `after` pages the same way.
  const names = [...byName.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const items = names.slice(0, query.limit).map((n) => byName.get(n) as typeof catalogEntries.$inferSelect);
  return {
    dir: query.dir,
    items,
    nextAfter: names.length > query.limit ? (items.at(-1)?.name ?? null) : null,
    /** The sets merged, oldest first. */
    chain: chain.sets.map((s) => ({ id: s.id, backupType: s.backupType, startedAt: s.startedAt })),
    warnings: chain.broken ? [chain.broken] : [],
  };
}

/** Every stored version of one path across all sets, newest set first. */
export async function pathVersions(ctx: ServiceCtx, path: string) {
  const { dir, name } = splitPath(path);
  const rows = await ctx.db
    .select({
      entry: catalogEntries,
      set: {
        id: backupSets.id,
        uuid: backupSets.uuid,
        state: backupSets.state,
        startedAt: backupSets.startedAt,
        backupType: backupSets.backupType,
      },
    })
    .from(catalogEntries)
    .innerJoin(backupSets, eq(backupSets.id, catalogEntries.setId))
    .where(and(eq(catalogEntries.name, name), eq(catalogEntries.dir, dir)))
    .orderBy(desc(backupSets.startedAt))
    .limit(1000);
  return { path, versions: rows };
}

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

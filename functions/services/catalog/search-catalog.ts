import { and, asc, eq, gt, lte, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { catalogEntries, NAME_EXTENSION } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { siteWhere } from "../sites/site-scope.ts";

export const searchQuery = z.object({
  /** Name prefix (case-sensitive, uses the index) … */
  q: z.string().min(1).max(255).optional(),
  /** … or a glob on the name (`*.pdf`, `report-202?-*`). */
  glob: z.string().min(1).max(255).optional(),
  setId: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.coerce.number().int().min(0).optional(),
});

/** A glob as literal characters (strings) and wildcards (null); null when a `[` is never closed. */
function globParts(glob: string): (string | null)[] | null {
  const chars = [...glob];
  const parts: (string | null)[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (c === "*" || c === "?") parts.push(null);
    else if (c === "[") {
      // A class: `]` right after `[` or `[^` is a member, the next `]` closes it.
      let j = i + 1;
      if (chars[j] === "^") j++;
      if (chars[j] === "]") j++;
      while (j < chars.length && chars[j] !== "]") j++;
      if (j >= chars.length) return null;
      parts.push(null);
      i = j;
    } else parts.push(c);
  }
  return parts;
}

/** The literal characters a glob starts with (before its first wildcard). */
function literalPrefix(glob: string): string {
  const parts = globParts(glob) ?? [];
  const end = parts.indexOf(null);
  return parts.slice(0, end === -1 ? parts.length : end).join("");
}

/**
 * The extension every name a glob matches has, when its literal ending holds a "." (`*.c`,
 * `*[0-9].tar.gz` → "gz"): the name then ends with that ending, so after its last "." comes what
 * follows the ending's last ".". Null when the glob does not say.
 */
export function globExtension(glob: string): string | null {
  const parts = globParts(glob);
  if (!parts) return null;
  const start = parts.lastIndexOf(null) + 1;
  const ending = parts.slice(start).join("");
  const dot = ending.lastIndexOf(".");
  return dot === -1 ? null : ending.slice(dot + 1);
}

/**
 * Whether a glob's names are found through the trigram index over the distinct names (migration
 * 0007): when it has no literal prefix of three characters (a range of catalog_names_name_uq
 * answers those) nor an extension (catalog_names_ext_idx), and has three characters in a row that
 * are not wildcards (`*`, `?`, a `[...]` class), which the trigram index needs.
 */
export function trigramSearchable(glob: string): boolean {
  if ([...literalPrefix(glob)].length >= 3 || globExtension(glob) !== null) return false;
  const literals = glob.replace(/\[\^?\]?[^\]]*\]/g, "*").split(/[*?]/);
  return literals.some((piece) => [...piece].length >= 3);
}

/** Where a glob's names are found, in the order tried; "every" tests each distinct name. */
function nameSource(glob: string): "prefix" | "extension" | "trigrams" | "short prefix" | "every" {
  const prefix = literalPrefix(glob);
  if ([...prefix].length >= 3) return "prefix";
  if (globExtension(glob) !== null) return "extension";
  if (trigramSearchable(glob)) return "trigrams";
  return prefix ? "short prefix" : "every";
}

/**
 * The distinct names (catalog_names) a glob matches, as a subquery: by the range of its literal
 * prefix when that has three characters, by its extension, through the trigram index, by a
 * shorter prefix's range, or (`?df`, `*[0-9]`) by testing each distinct name, in that order.
 */
function namesMatching(glob: string): SQL {
  const prefix = literalPrefix(glob);
  const range = sql`name >= ${prefix} and name < ${`${prefix}\u{10FFFF}`} and name glob ${glob}`;
  switch (nameSource(glob)) {
    case "prefix":
    case "short prefix":
      return sql`select name from catalog_names where ${range}`;
    case "extension":
      return sql`select name from catalog_names where ${sql.raw(NAME_EXTENSION)} = ${globExtension(glob)} and name glob ${glob}`;
    case "trigrams":
      return sql`select name from catalog_names_fts where name glob ${glob}`;
    case "every":
      return sql`select name from catalog_names where name glob ${glob}`;
  }
}

/** A name range holding this many entries or more is dense: its first page lies among the next ids. */
const DENSE_RANGE = 20_000;

/** How many ids a dense range's page is looked for in, in id order, before sorting the range. */
const ID_WINDOW = 200_000;

/** How many ids a glob is first tried on, in id order (a few milliseconds of rows). */
const QUICK_WINDOW = 20_000;

type EntryRow = typeof catalogEntries.$inferSelect;

/**
 * Name search over the whole catalog (or one set), in catalog order (entry id), a page at a time.
 * The names a query matches are found among the distinct names (a prefix's range of the name
 * index; a glob through catalog_names and its trigram index), so a rare or absent name costs
 * little however large the catalog. Their entries come from the (name, dir, set_id) index, sorted
 * by id, unless they are dense (20,000 or more, counted on the index and capped): then the page is
 * first looked for among the next 200,000 ids in order (within one set: its next ids, through
 * catalog_set_idx), testing each entry's name, and only what that window lacks from the index.
 */
export async function searchCatalog(ctx: ServiceCtx, query: z.output<typeof searchQuery>) {
  if (!query.q && !query.glob) throw new AppError("validation_failed", "Give q (a name prefix) or glob");
  const take = query.limit + 1;
  const { q, glob, setId } = query;
  // `+column` keeps SQLite off an index: for the walk in id order, the name is tested per entry.
  const byName = (indexed: boolean) => {
    const name = indexed ? sql`${catalogEntries.name}` : sql`+${catalogEntries.name}`;
    if (q) return sql`${name} >= ${q} and ${name} < ${`${q}\u{10FFFF}`}`;
    return indexed ? sql`${name} in (${namesMatching(glob as string)})` : sql`${name} glob ${glob}`;
  };
  // Never through an index of its own: the name index holds the set id, and a walk reads the rows.
  // A site-scoped user finds only what their sites' sets hold (undefined for everyone else).
  const inSet = and(
    setId === undefined ? undefined : sql`+${catalogEntries.setId} = ${setId}`,
    siteWhere(ctx, { kind: "set", id: catalogEntries.setId }, undefined),
  );
  const page = (where: SQL | undefined, limit: number) =>
    ctx.db.select().from(catalogEntries).where(where).orderBy(asc(catalogEntries.id)).limit(limit);
  const from = query.cursor ?? 0;
  // Where a walk in id order starts: after the cursor, or within one set at its first entry after
  // it (null: the set has none).
  const walkStart = async (): Promise<number | null> => {
    if (setId === undefined) return from;
    const [first] = await ctx.db
      .select({ id: catalogEntries.id })
      .from(catalogEntries)
      .where(and(eq(catalogEntries.setId, setId), gt(catalogEntries.id, from)))
      .orderBy(asc(catalogEntries.id))
      .limit(1);
    return first ? first.id - 1 : null;
  };
  const walk = (start: number, ids: number) =>
    page(and(byName(false), inSet, gt(catalogEntries.id, start), lte(catalogEntries.id, start + ids)), take);
  const done = (rows: EntryRow[]) => {
    const items = rows.slice(0, query.limit);
    return { items, nextCursor: rows.length > query.limit ? (items.at(-1)?.id ?? null) : null };
  };

  // A glob's names are found one by one, and a common glob has many (`*.pdf`: tens of thousands):
  // the next QUICK_WINDOW ids are tried first, which hold a whole page when its names are common.
  if (glob && !q) {
    const start = await walkStart();
    if (start === null) return done([]);
    const quick = await walk(start, QUICK_WINDOW);
    if (quick.length === take) return done(quick);
  }

  // The matches' number, counted on the name index (no row read) and capped; a glob's names one
  // by one (CROSS JOIN keeps them the outer loop), so a common one stops after a few names.
  const probe = q
    ? sql`select 1 from ${catalogEntries} where ${byName(true)} limit ${DENSE_RANGE}`
    : sql`select 1 from (${namesMatching(glob as string)}) m cross join ${catalogEntries} e on e.name = m.name limit ${DENSE_RANGE}`;
  const [counted] = await ctx.db.all<{ n: number }>(sql`select count(*) as n from (${probe})`);
  const matches = Number(counted?.n ?? 0);
  if (matches === 0) return done([]);
  // Few: from the name index (`+set_id` keeps SQLite from walking the set through catalog_set_idx).
  if (matches < DENSE_RANGE)
    return done(await page(and(byName(true), inSet, gt(catalogEntries.id, from)), take));
  const start = await walkStart();
  if (start === null) return done([]);
  const rows = await walk(start, ID_WINDOW);
  const end = start + ID_WINDOW;
  if (rows.length < take)
    rows.push(...(await page(and(byName(true), inSet, gt(catalogEntries.id, end)), take - rows.length)));
  return done(rows);
}

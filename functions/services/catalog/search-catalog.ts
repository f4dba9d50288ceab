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

/** A glob's wildcards: `*` (any run of characters), `?` or a `[...]` class (one character). */
const ANY = Symbol("*");
const ONE = Symbol("?");
type GlobPart = string | typeof ANY | typeof ONE;
const isWildcard = (part: GlobPart | undefined) => typeof part !== "string";

/**
 * A glob as literal characters and wildcards, each with its text in the glob (a class as written);
 * null when a `[` is never closed.
 */
function globPieces(glob: string): { part: GlobPart; text: string }[] | null {
  const chars = [...glob];
  const pieces: { part: GlobPart; text: string }[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (c === "*") pieces.push({ part: ANY, text: c });
    else if (c === "?") pieces.push({ part: ONE, text: c });
    else if (c === "[") {
      // A class: `]` right after `[` or `[^` is a member, the next `]` closes it.
      let j = i + 1;
      if (chars[j] === "^") j++;
      if (chars[j] === "]") j++;
      while (j < chars.length && chars[j] !== "]") j++;
      if (j >= chars.length) return null;
      pieces.push({ part: ONE, text: chars.slice(i, j + 1).join("") });
      i = j;
    } else pieces.push({ part: c, text: c });
  }
  return pieces;
}

/** A glob as literal characters and wildcards; null when a `[` is never closed. */
function globParts(glob: string): GlobPart[] | null {
  return globPieces(glob)?.map((piece) => piece.part) ?? null;
}

/** The literal characters a glob starts with (before its first wildcard). */
function literalPrefix(glob: string): string {
  const parts = globParts(glob) ?? [];
  const end = parts.findIndex(isWildcard);
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
  const start = parts.findLastIndex(isWildcard) + 1;
  const ending = parts.slice(start).join("");
  const dot = ending.lastIndexOf(".");
  return dot === -1 ? null : ending.slice(dot + 1);
}

/**
 * A glob that starts with a literal prefix shorter than three characters, then one one-character
 * wildcard (`?`, a class), then a literal (`?df`, `?e*`, `s?a*`, `[ab]x*`): its prefix and that
 * literal. Its names lie in one range of catalog_names_name_uq per character found at the
 * wildcard's place, which a skip through that index lists (a few dozen seeks, not every name).
 */
export function skipScanParts(glob: string): { prefix: string; literal: string } | null {
  const parts = globParts(glob);
  if (!parts) return null;
  const at = parts.findIndex(isWildcard);
  if (at === -1 || at >= 3 || parts[at] !== ONE) return null;
  const after = parts.slice(at + 1);
  const end = after.findIndex(isWildcard);
  const literal = after.slice(0, end === -1 ? after.length : end).join("");
  return literal ? { prefix: parts.slice(0, at).join(""), literal } : null;
}

/**
 * The smallest string after every string that starts with `text` (its last character's code
 * point plus one, past the surrogates); null when that character is the last code point.
 */
function pastPrefix(text: string): string | null {
  const chars = [...text];
  const last = (chars.pop() as string).codePointAt(0) as number;
  if (last >= 0x10ffff) return null;
  return chars.join("") + String.fromCodePoint(last + 1 === 0xd800 ? 0xe000 : last + 1);
}

/**
 * Whether the trigram index over the distinct names (migration 0007) can find a glob's names
 * (used unless a skip through the name index can, which reads fewer): when it has no literal prefix of three characters (a range of catalog_names_name_uq
 * answers those) nor an extension (catalog_names_ext_idx), and has three characters in a row that
 * are not wildcards (`*`, `?`, a `[...]` class), which the trigram index needs.
 */
export function trigramSearchable(glob: string): boolean {
  if ([...literalPrefix(glob)].length >= 3 || globExtension(glob) !== null) return false;
  const literals = glob.replace(/\[\^?\]?[^\]]*\]/g, "*").split(/[*?]/);
  return literals.some((piece) => [...piece].length >= 3);
}

/**
 * Where a glob's names are found, in the order tried; "every" tests each distinct name. A skip
 * goes before the trigrams: its ranges hold only names that start as the glob does, where the
 * trigram index yields every name holding the literal anywhere, each read back through FTS5
 * (`?udget*x`: 5 ms to list its 167 names that way at 10M entries). "terms" goes last, where
 * each name was tested: the trigram index by the terms of the glob's windows (ADR 0038).
 */
function nameSource(
  glob: string,
): "prefix" | "extension" | "skip" | "trigrams" | "short prefix" | "terms" | "every" {
  const prefix = literalPrefix(glob);
  if ([...prefix].length >= 3) return "prefix";
  if (globExtension(glob) !== null) return "extension";
  if (skipScanParts(glob)) return "skip";
  if (trigramSearchable(glob)) return "trigrams";
  if (prefix) return "short prefix";
  return trigramWindows(glob).length > 0 ? "terms" : "every";
}

/**
 * What the trigrams of every name a glob matches must include: a list of requirements, each the
 * globs of three characters (`-?.`, `?.x`) of which a name holds at least one as a trigram. Each
 * three glob parts in a row with no `*` between them is one; a shorter run of literals and
 * one-character wildcards next to a `*` (`.x` in `*.x*`) is one too, padded with `?` on its `*`
 * sides (`?.x`, `.x?`), but only when every name the glob matches has three characters or more
 * (so the run lies in one of its trigrams). Empty when neither applies (`*a*b*`, `*[0-9]`).
 */
export function trigramWindows(glob: string): string[][] {
  const pieces = globPieces(glob);
  if (!pieces) return [];
  const parts = pieces.map((piece) => piece.part);
  const texts = pieces.map((piece) => piece.text);
  const long = parts.filter((p) => p !== ANY).length >= 3;
  const runs: { start: number; end: number }[] = [];
  for (let i = 0; i < parts.length; i++) {
    if (parts[i] === ANY) continue;
    let end = i;
    while (end < parts.length && parts[end] !== ANY) end++;
    runs.push({ start: i, end });
    i = end;
  }
  const windows: string[][] = [];
  // A window of `?` only says nothing (every term matches it).
  const says = (texts: string[]) => texts.some((t) => t !== "?");
  for (const { start, end } of runs) {
    const run = texts.slice(start, end);
    if (run.length >= 3) {
      for (let i = 0; i + 3 <= run.length; i++)
        if (says(run.slice(i, i + 3))) windows.push([run.slice(i, i + 3).join("")]);
      continue;
    }
    if (!says(run)) continue;
    if (!long) continue;
    // Padded on the sides where a `*` is (the glob's own start or end pins that side).
    const pad = 3 - run.length;
    const before = start > 0;
    const after = end < parts.length;
    const alternatives: string[] = [];
    for (let left = 0; left <= pad; left++) {
      const right = pad - left;
      if ((left > 0 && !before) || (right > 0 && !after)) continue;
      alternatives.push(`${"?".repeat(left)}${run.join("")}${"?".repeat(right)}`);
    }
    windows.push(alternatives);
  }
  return windows;
}

/**
 * The names a glob of skipScanParts matches: the characters found at its wildcard's place after
 * its prefix, one seek each (the next is the first name past every name with the one before),
 * then for each the range of prefix + character + literal. A recursive CTE, one statement.
 * `+n.name glob` keeps SQLite from taking GLOB's own prefix range (the whole prefix, each time).
 */
function skippedNames(glob: string, prefix: string, literal: string): SQL {
  const place = [...prefix].length + 1;
  const end = prefix ? pastPrefix(prefix) : null;
  const inPrefix = end === null ? sql`1` : sql`name < ${end}`;
  const literalEnd = pastPrefix(literal);
  const upTo = literalEnd === null ? sql`1` : sql`n.name < ${prefix} || at.c || ${literalEnd}`;
  return sql`select n.name from (
      with recursive at(c) as (
        select (select substr(name, ${place}, 1) from catalog_names where name > ${prefix} and ${inPrefix} order by name limit 1)
        union all
        select (select substr(name, ${place}, 1) from catalog_names where name >= ${prefix} || char(unicode(at.c) + 1) and ${inPrefix} order by name limit 1)
        from at where at.c is not null and unicode(at.c) < 1114111
      ) select c from at where c is not null
    ) at cross join catalog_names n on n.name >= ${prefix} || at.c || ${literal} and ${upTo}
    where +n.name glob ${glob}`;
}

/**
 * A requirement of trigramWindows with more terms than this stays out of the trigram query: its
 * OR would read more of the index than the other requirements leave to test.
 */
const MAX_TERMS = 64;

/**
 * The trigram index query (FTS5 MATCH) for a glob of trigramWindows: the terms of each requirement
 * (from catalog_name_trigrams, one statement) ORed, the requirements with few terms ANDed. "" when
 * a requirement has no term (no name can match); null when each has more than MAX_TERMS.
 */
async function termsQuery(ctx: ServiceCtx, glob: string): Promise<string | null> {
  const windows = trigramWindows(glob);
  const pairs = windows.flatMap((alternatives, i) => alternatives.map((window) => [i, window]));
  const rows = await ctx.db.all<{ req: number; term: string }>(
    // Materialized: each window's glob read out of the JSON once, not once per term (3 → 0.7 ms).
    sql`with w as materialized (
        select json_extract(value, '$[0]') as req, json_extract(value, '$[1]') as pattern from json_each(${JSON.stringify(pairs)})
      ) select w.req as req, t.term as term from w cross join catalog_name_trigrams t where t.term glob w.pattern`,
  );
  const terms = windows.map(() => new Set<string>());
  for (const row of rows) terms[Number(row.req)]?.add(row.term);
  if (terms.some((found) => found.size === 0)) return "";
  const few = terms.filter((found) => found.size <= MAX_TERMS).sort((a, b) => a.size - b.size);
  if (few.length === 0) return null;
  const quoted = (term: string) => `"${term.replaceAll('"', '""')}"`;
  return few.map((found) => `(${[...found].map(quoted).join(" OR ")})`).join(" AND ");
}

/**
 * The distinct names (catalog_names) a glob matches, as a subquery: by the range of its literal
 * prefix when that has three characters, by its extension, through the trigram index, by a skip
 * through the name index at a leading `?` (`?df`, `s?a*`), by a shorter prefix's range, through
 * the trigram index by the terms its windows find (`*-?.x*`: `match` from termsQuery), or
 * (`*[0-9]`, `*a*b*`) by testing each distinct name, in that order.
 */
function namesMatching(glob: string, match: string | null): SQL {
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
    case "skip": {
      const { prefix, literal } = skipScanParts(glob) as { prefix: string; literal: string };
      return skippedNames(glob, prefix, literal);
    }
    case "terms":
      // `+name`: the glob is tested on each name the terms find, not handed to FTS5 as a query.
      if (match === "") return sql`select name from catalog_names where 0`;
      if (match !== null)
        return sql`select name from catalog_names_fts where catalog_names_fts match ${match} and +name glob ${glob}`;
      return sql`select name from catalog_names where name glob ${glob}`;
    case "every":
      return sql`select name from catalog_names where name glob ${glob}`;
  }
}

/** A name range holding more entries than this is dense: its first page lies among the next ids. */
const DENSE_RANGE = 20_000;

/** How many ids a dense range's page is looked for in, in id order, before sorting the range. */
const ID_WINDOW = 200_000;

/** How many ids a glob with many names is first tried on, in id order (a few milliseconds of rows). */
const QUICK_WINDOW = 20_000;

/**
 * A glob matching fewer distinct names than this has its entries read from the name index first
 * (~1,700 entries at 10M). Finding 100 names through the trigram index takes under a millisecond
 * at 10M where 500 took ~10 ms (`*invoice*`: its names are spread over the whole rowid range).
 */
const FEW_NAMES = 100;

/**
 * A glob of more names whose next 20,000 ids hold few of its matches has them listed once, up to
 * this many, so that the count and the ids go to the name index by name (`?udget*x`: 167 names;
 * listing them again for each of those statements cost 3–5 ms at 10M).
 */
const LISTED_NAMES = 500;

type EntryRow = typeof catalogEntries.$inferSelect;

/**
 * Name search over the whole catalog (or one set), in catalog order (entry id), a page at a time.
 * The names a query matches are found among the distinct names (a prefix's range of the name
 * index; a glob through catalog_names and its trigram index), so a rare or absent name costs
 * little however large the catalog. Their entries' ids come from the (name, dir, set_id) index
 * alone (no row read), the smallest kept, and only the page's rows are read, unless they are dense
 * (more than 20,000, counted on the index first and capped): then the page is looked for
 * among the next 200,000 ids in order (within one set: its next ids, through catalog_set_idx),
 * testing each entry's name, and only what that window lacks comes from the index. A glob with
 * many names (100 or more) is first tried on the next 20,000 ids, which hold a common one's page;
 * the matches found there say whether the rest of the 200,000 ids is worth walking (few: its
 * names, up to 500, are listed for the index).
 */
export async function searchCatalog(ctx: ServiceCtx, query: z.output<typeof searchQuery>) {
  if (!query.q && !query.glob) throw new AppError("validation_failed", "Give q (a name prefix) or glob");
  const take = query.limit + 1;
  const { q, glob, setId } = query;
  // A prefix's range of names; in a walk in id order each entry's name is tested (`+column` keeps
  // SQLite off the name index).
  const inRange = (name: SQL) => sql`${name} >= ${q} and ${name} < ${`${q}\u{10FFFF}`}`;
  const byName = q ? inRange(sql`+${catalogEntries.name}`) : sql`+${catalogEntries.name} glob ${glob}`;
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
  const walk = (start: number, ids: number, limit: number) =>
    page(and(byName, inSet, gt(catalogEntries.id, start), lte(catalogEntries.id, start + ids)), limit);
  const done = (rows: EntryRow[]) => {
    const items = rows.slice(0, query.limit);
    return { items, nextCursor: rows.length > query.limit ? (items.at(-1)?.id ?? null) : null };
  };

  // The glob's distinct names, as a subquery (its trigram terms looked up once).
  const globNames =
    glob && !q
      ? namesMatching(glob, nameSource(glob) === "terms" ? await termsQuery(ctx, glob) : null)
      : sql`select 0 where 0`;
  // A glob's distinct names when it has fewer than `limit` (they are then named to the index, not
  // matched again); null when it has more.
  const namesBelow = async (limit: number) => {
    const found = await ctx.db.all<{ name: string }>(sql`${globNames} limit ${limit}`);
    return found.length < limit ? found.map((r) => r.name) : null;
  };
  let names: string[] | null = null;
  if (glob && !q) {
    names = await namesBelow(FEW_NAMES);
    if (names?.length === 0) return done([]);
  }
  // The entries a query's names match, as ids from the name index alone (no row read): a prefix's
  // range, or a glob's names one by one (CROSS JOIN keeps them the outer loop) each looked up in it.
  const matching = (where: SQL | undefined) => {
    const on = q
      ? sql`from ${catalogEntries} where ${inRange(sql`${catalogEntries.name}`)}`
      : names
        ? sql`from json_each(${JSON.stringify(names)}) m cross join ${catalogEntries} on ${catalogEntries.name} = m.value where 1`
        : sql`from (${globNames}) m cross join ${catalogEntries} on ${catalogEntries.name} = m.name where 1`;
    return sql`select ${catalogEntries.id} as id ${on} and ${where ?? sql`1`}`;
  };
  // The smallest ids matching after `from`, when the names' entries in the whole catalog are no
  // more than DENSE_RANGE (counted first, stopping there: any set and cursor then cost at most
  // that many index steps); null when they are more.
  const fewIds = async (): Promise<number[] | null> => {
    const [counted] = await ctx.db.all<{ n: number }>(
      sql`select count(*) as n from (${matching(undefined)} limit ${DENSE_RANGE + 1})`,
    );
    if (Number(counted?.n ?? 0) > DENSE_RANGE) return null;
    const rows = await ctx.db.all<{ id: number }>(
      sql`select id from (${matching(and(inSet, gt(catalogEntries.id, from)))}) order by id limit ${take}`,
    );
    return rows.map((r) => Number(r.id));
  };
  // Those entries' rows, in id order (one bound value, however many: D1 binds at most 100).
  const rowsOf = async (ids: number[]) =>
    ids.length === 0
      ? []
      : page(sql`${catalogEntries.id} in (select value from json_each(${JSON.stringify(ids)}))`, ids.length);

  // Few names, or a prefix: the index answers unless the matches are dense.
  if (q || names) {
    const ids = await fewIds();
    if (ids) return done(await rowsOf(ids));
  }
  const start = await walkStart();
  if (start === null) return done([]);
  const rows: EntryRow[] = [];
  let walked = 0;
  if (glob && !q && !names) {
    // Many names (`*.pdf`: tens of thousands): a common glob's page lies in the next ids. Fewer
    // matches there than a page in ID_WINDOW ids would hold: the index is asked (and answers
    // unless they are dense elsewhere).
    rows.push(...(await walk(start, QUICK_WINDOW, take)));
    if (rows.length === take) return done(rows);
    walked = QUICK_WINDOW;
    if (rows.length * ID_WINDOW < take * QUICK_WINDOW) {
      names = await namesBelow(LISTED_NAMES);
      const ids = await fewIds();
      if (ids) return done(await rowsOf(ids));
    }
  }
  rows.push(...(await walk(start + walked, ID_WINDOW - walked, take - rows.length)));
  // What the window lacks, from the index (`+set_id` keeps SQLite from walking the set through
  // catalog_set_idx).
  if (rows.length < take) {
    const indexed = q
      ? inRange(sql`${catalogEntries.name}`)
      : sql`${catalogEntries.name} in (${names ? sql`select value from json_each(${JSON.stringify(names)})` : globNames})`;
    rows.push(
      ...(await page(and(indexed, inSet, gt(catalogEntries.id, start + ID_WINDOW)), take - rows.length)),
    );
  }
  return done(rows);
}

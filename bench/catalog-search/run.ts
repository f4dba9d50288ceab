/**
 * Catalog name search benchmark (not a test): p50/p95 of the search service (`searchCatalog`, what
 * `GET /api/v1/catalog/search` and the restore page call) over generated catalogs of 1M and 10M
 * entries in a real libSQL file, for a mix of queries; ratio 10M/1M. Target: p95 < 100 ms at 10M.
 *
 *   npm run bench:catalog-search                           # 1M and 10M entries
 *   npm run bench:catalog-search -- --sizes 1000000        # one size
 *   npm run bench:catalog-search -- --keep                 # keep the catalog files (path printed)
 *   npm run bench:catalog-search -- --reuse DIR            # measure catalogs kept by --keep
 *   npm run bench:catalog-search -- --before FILE          # "before" is FILE's searchCatalog (e.g. main's)
 *   npm run bench:catalog-search -- --only 'one set'       # only the shapes whose label matches
 *
 * The catalogs hold 10 sets, nightly fulls of one file share (same paths in every set, so names
 * repeat ten times as they do in a real catalog): 25 files per directory, names from a 400-word
 * vocabulary with a second word, a year or nothing, and one of 30 extensions; plus one rare file
 * (`zebra-quarterly-audit.xlsx`) in three sets. Rows are inserted by one INSERT … SELECT over a
 * recursive CTE with the catalog_entries indexes and triggers dropped, which are then rebuilt as
 * the migrations define them (sorted builds), and the distinct names filled from the entries; an
 * agent's chunks go through the ingest service instead, measured by bench/catalog.
 * `--search-only` skips the deletion and ingest costs measured after the searches.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { and, asc, eq, gt, gte, lt, sql } from "drizzle-orm";
import { migrateCatalog, type NodeCatalog, openCatalog } from "../../functions/db/client-node.ts";
import { catalogEntries } from "../../functions/db/schema/index.ts";
import type { ServiceCtx } from "../../functions/deps.ts";
import { searchCatalog, searchQuery } from "../../functions/services/catalog/search-catalog.ts";
import { ingestCatalogChunk } from "../../functions/services/orders/ingest-catalog-chunk.ts";
import { createTestHub } from "../../test/helpers/hub.ts";
import { ingestTarget } from "../catalog/ingest-target.ts";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "1000000,10000000" },
    dir: { type: "string", default: "/tmp" },
    keep: { type: "boolean" },
    reuse: { type: "string" },
    /** A module whose `searchCatalog` is the "before" side (default: the pre-0003 statement). */
    before: { type: "string" },
    seconds: { type: "string", default: "15" },
    /** A regular expression: only the query shapes whose label matches it. */
    only: { type: "string" },
    /** Skip the deletion and ingest costs (minutes at 10M). */
    "search-only": { type: "boolean" },
  },
});
const sizes = String(values.sizes).split(",").map(Number);
const SETS = 10;
const root = values.reuse ?? mkdtempSync(join(String(values.dir), "tapebackarr-bench-search-"));
const budgetMs = Number(values.seconds) * 1000;
const cleanup = () => {
  if (!values.keep && !values.reuse) rmSync(root, { recursive: true, force: true });
};
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.on(signal, () => {
    cleanup();
    process.exit(130);
  });

const WORDS = `report invoice budget minutes contract photo scan backup draft final notes plan design review
summary letter memo offer order receipt statement payroll schedule agenda proposal quote slides demo
export import config readme license changelog index main test spec data sample dump archive log
trace audit policy manual guide sheet table chart diagram sketch model render texture sound video
clip movie track album cover logo banner flyer poster brochure catalog price list inventory stock
sales lead client customer vendor supplier partner employee staff team project task ticket issue
bug feature release build deploy server client network firewall router switch printer scanner
laptop desktop phone tablet camera drone sensor meter gauge valve pump motor engine turbine boiler
heater cooler fan filter tank pipe cable wire plug socket lamp light bulb panel frame door window
wall floor roof stair room hall office kitchen garage garden yard fence gate road bridge tunnel
river lake sea ocean island mountain forest desert field farm barn mill factory plant warehouse
depot station port airport harbour market shop store mall bank school college museum library
theatre cinema stadium arena park zoo hotel hostel camp cabin villa tower castle palace temple
church chapel abbey monastery hospital clinic pharmacy lab studio gallery atelier workshop forge
alpha beta gamma delta epsilon omega north south east west spring summer autumn winter january
february march april may june july august september october november december monday tuesday
wednesday thursday friday saturday sunday morning evening night weekly monthly yearly daily
annual quarterly fiscal tax vat hr legal finance marketing support admin ops dev qa it it2 lab2
red green blue black white grey orange purple yellow brown pink silver gold bronze copper iron
steel glass paper wood stone brick clay sand salt sugar flour bread cake pie soup salad pasta
pizza rice bean corn wheat apple pear plum cherry grape lemon lime melon berry nut seed root leaf
tree flower grass moss fern vine bush hedge rose tulip lily daisy orchid cactus palm pine oak elm
ash birch maple cedar willow poplar beech fir yew larch cypress`
  .split(/\s+/)
  .filter(Boolean)
  .slice(0, 400);
const EXTS =
  ".pdf .docx .xlsx .pptx .txt .csv .jpg .jpeg .png .gif .tiff .mp4 .mov .mp3 .wav .zip .tar.gz .iso .json .xml .yaml .log .sql .bak .eml .msg .odt .ods .html .md".split(
    " ",
  );

/** Fills a fresh catalog with `n` entries over SETS sets; returns seconds spent. */
async function generate(catalog: NodeCatalog, n: number): Promise<number> {
  const c = catalog.client;
  const started = performance.now();
  const now = Math.floor(Date.now() / 1000);
  for (let s = 1; s <= SETS; s++)
    await c.execute({
      sql: `insert into backup_sets (uuid, backup_type, state, compression, encryption, block_size, started_at, created_at)
            values (?, 'full', 'complete', 'zstd', 'none', 65536, ?, ?)`,
      args: [crypto.randomUUID(), (now - (SETS - s) * 86400) * 1000, now * 1000],
    });
  await c.execute("create temp table words (i integer primary key, w text not null)");
  await c.execute("create temp table exts (i integer primary key, e text not null)");
  await c.execute({
    sql: "insert into temp.words select key, value from json_each(?)",
    args: [JSON.stringify(WORDS)],
  });
  await c.execute({
    sql: "insert into temp.exts select key, value from json_each(?)",
    args: [JSON.stringify(EXTS)],
  });
  // Indexes, triggers and derived tables on catalog entries, rebuilt after the bulk insert.
  const derived = await c.execute(
    "select type, name, sql from sqlite_master where tbl_name = 'catalog_entries' and type in ('index', 'trigger') and sql is not null",
  );
  for (const row of derived.rows) await c.execute(`drop ${row.type} ${row.name}`);
  const perSet = Math.floor(n / SETS);
  const W = WORDS.length;
  const E = EXTS.length;
  // i: the file's place in the share (same in every set); h: a 32-bit mix of it.
  await c.execute(`
    insert into catalog_entries (set_id, dir, name, type, size, mode, uid, gid, mtime, link_target, sha256, offset, segment, end_segment, deleted)
    with recursive seq(x) as (select 0 union all select x + 1 from seq where x < ${n - 1}),
    mixed as (select x, x / ${perSet} + 1 as s, x % ${perSet} as i, (x % ${perSet}) * 2654435761 % 4294967296 as h from seq)
    select s,
      'srv/share/' || (select w from temp.words where i = (mixed.i / 25000) % 20) || '/'
        || (select w from temp.words where i = (mixed.i / 1000) % ${W}) || '/'
        || (select w from temp.words where i = (mixed.i / 25) % ${W}),
      (select w from temp.words where i = h % ${W})
        || case (h / 512) % 3
             when 0 then '-' || (select w from temp.words where i = (h / 2048) % ${W})
             when 1 then '_' || (1990 + (h / 2048) % 40)
             else '' end
        || (select e from temp.exts where i = (h / 131072) % ${E}),
      'file', h % 5000000, 420, 1000, 1000, ${now} - (h % 100000000), null,
      lower(hex(randomblob(32))), i * 8192, 0, 0, 0
    from mixed where s <= ${SETS}`);
  for (const s of [2, 5, 9])
    await c.execute(
      `insert into catalog_entries (set_id, dir, name, type, size, mode, uid, gid, mtime, sha256, offset)
       values (${s}, 'srv/share/finance/audit/2026', 'zebra-quarterly-audit.xlsx', 'file', 81234, 420, 1000, 1000, ${now}, lower(hex(randomblob(32))), 4096)`,
    );
  const inserted = performance.now();
  console.log(`  inserted ${n} rows in ${((inserted - started) / 1000).toFixed(1)} s`);
  for (const row of derived.rows) await c.execute(String(row.sql));
  const indexed = performance.now();
  console.log(
    `  built ${derived.rows.length} indexes and triggers in ${((indexed - inserted) / 1000).toFixed(1)} s`,
  );
  // Derived tables that follow catalog_entries: the distinct names (migration 0006), their trigram index.
  const names = await c.execute("select name from sqlite_master where name = 'catalog_names'");
  if (names.rows.length > 0)
    await c.execute(
      "insert into catalog_names (name) select distinct name from catalog_entries order by name",
    );
  const fts = await c.execute("select name from sqlite_master where name = 'catalog_names_fts'");
  if (fts.rows.length > 0) {
    await c.execute("insert into catalog_names_fts(catalog_names_fts) values ('rebuild')");
    console.log(`  rebuilt the trigram index in ${((performance.now() - indexed) / 1000).toFixed(1)} s`);
  }
  await c.execute("analyze");
  await c.execute("pragma wal_checkpoint(truncate)");
  return (performance.now() - started) / 1000;
}

type Case = { label: string; query: Record<string, string | number> };
const CASES: Case[] = (
  [
    { label: "exact name, rare (q=zebra-quarterly-audit.xlsx)", query: { q: "zebra-quarterly-audit.xlsx" } },
    { label: "exact name, common (q=budget.pdf)", query: { q: "budget.pdf" } },
    { label: "prefix (q=report)", query: { q: "report" } },
    { label: "prefix, one set (q=report, setId=5)", query: { q: "report", setId: 5 } },
    { label: "prefix, short and common (q=s)", query: { q: "s" } },
    { label: "glob, literal prefix (report*.pdf)", query: { glob: "report*.pdf" } },
    { label: "glob, ? wildcard (budget_20?9.*)", query: { glob: "budget_20?9.*" } },
    { label: "glob, leading * (*.pdf)", query: { glob: "*.pdf" } },
    { label: "glob, substring (*invoice*)", query: { glob: "*invoice*" } },
    { label: "glob, rare substring (*zebra*)", query: { glob: "*zebra*" } },
    { label: "glob, no match (*nomatch-xyz*)", query: { glob: "*nomatch-xyz*" } },
    // Known slow shapes, measured so the README can say how slow.
    { label: "prefix, short, one set (q=s, setId=5)", query: { q: "s", setId: 5 } },
    { label: "prefix, short, page near the end (q=s, cursor=99.9 %)", query: { q: "s", cursor: "END" } },
    { label: "glob, no 3 literal characters, no match (*.c)", query: { glob: "*.c" } },
    // Globs no index answers at once (issue 14, target 4): a short literal prefix, a leading `?`,
    // no three literal characters in a row, a substring or an extension within one set.
    { label: "glob, short prefix (s*)", query: { glob: "s*" } },
    { label: "glob, short prefix, one set (s*, setId=5)", query: { glob: "s*", setId: 5 } },
    { label: "glob, short prefix, few names (z*)", query: { glob: "z*" } },
    { label: "glob, leading ?, no 3 literal characters, no match (?df)", query: { glob: "?df" } },
    { label: "glob, leading ?, no 3 literal characters (?e*)", query: { glob: "?e*" } },
    { label: "glob, leading ?, trigrams (?udget*x)", query: { glob: "?udget*x" } },
    { label: "glob, no 3 literal characters, class (*[0-9].c?v)", query: { glob: "*[0-9].c?v" } },
    { label: "glob, no 3 literal characters, no extension (*_20?9*)", query: { glob: "*_20?9*" } },
    { label: "glob, no 3 literal characters, leading *, no match (*-?.x*)", query: { glob: "*-?.x*" } },
    { label: "glob, substring, one set (*invoice*, setId=5)", query: { glob: "*invoice*", setId: 5 } },
    { label: "glob, leading *, one set (*.pdf, setId=5)", query: { glob: "*.pdf", setId: 5 } },
  ] as Case[]
).filter((c) => !values.only || new RegExp(values.only).test(c.label));

/** Wall-clock p50/p95 and the median CPU time of the process per run (what the load multiplies). */
type Stat = { p50: number; p95: number; cpu: number; n: number; hits: number; more: boolean; ids: string };
type Search = typeof searchCatalog;

/** The statement searchCatalog ran before migration 0003 (name index range, or glob on every name). */
const searchBefore: Search = async (ctx, query) => {
  const byName = query.q
    ? and(gte(catalogEntries.name, query.q), lt(catalogEntries.name, `${query.q}\u{10FFFF}`))
    : sql`${catalogEntries.name} glob ${query.glob}`;
  const rows = await ctx.db
    .select()
    .from(catalogEntries)
    .where(
      and(
        byName,
        query.setId ? eq(catalogEntries.setId, query.setId) : undefined,
        query.cursor === undefined ? undefined : gt(catalogEntries.id, query.cursor),
      ),
    )
    .orderBy(asc(catalogEntries.id))
    .limit(query.limit + 1);
  const items = rows.slice(0, query.limit);
  return { items, nextCursor: rows.length > query.limit ? (items.at(-1)?.id ?? null) : null };
};

/** Both searches on one query, their runs alternated (so load that changes hits both alike). */
async function measure(
  ctx: ServiceCtx,
  searches: [Search, Search],
  raw: Record<string, string | number>,
  entries: number,
): Promise<[Stat, Stat]> {
  const query = searchQuery.parse({
    limit: 100,
    ...raw,
    ...(raw.cursor === "END" ? { cursor: Math.floor(entries * 0.999) } : {}),
  });
  const firsts = [await searches[0](ctx, query), await searches[1](ctx, query)]; // warm-up
  const times: [number[], number[]] = [[], []];
  const cpus: [number[], number[]] = [[], []];
  const until = performance.now() + 2 * budgetMs;
  while (times[0].length < 5 || (times[0].length < 40 && performance.now() < until))
    for (const side of [0, 1] as const) {
      const t = performance.now();
      const cpu = process.cpuUsage();
      await searches[side](ctx, query);
      const used = process.cpuUsage(cpu);
      times[side].push(performance.now() - t);
      cpus[side].push((used.user + used.system) / 1000);
    }
  const quantile = (xs: number[], q: number) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
  };
  return ([0, 1] as const).map((side) => {
    const first = firsts[side] as Awaited<ReturnType<Search>>;
    return {
      p50: quantile(times[side], 0.5),
      p95: quantile(times[side], 0.95),
      cpu: quantile(cpus[side], 0.5),
      n: times[side].length,
      hits: first.items.length,
      more: first.nextCursor !== null,
      ids: first.items.map((e) => e.id).join(","),
    };
  }) as [Stat, Stat];
}

const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

try {
  const results = new Map<number, [Stat, Stat][]>();
  for (const n of sizes) {
    const dir = join(root, `catalog-${n}`);
    const url = `file:${join(dir, "catalog.db")}`;
    const fresh = !existsSync(join(dir, "catalog.db"));
    mkdirSync(dir, { recursive: true });
    const catalog = openCatalog(url);
    const migrating = performance.now();
    await migrateCatalog(catalog, url);
    if (!fresh) console.log(`migrations applied in ${((performance.now() - migrating) / 1000).toFixed(1)} s`);
    if (fresh) {
      const seconds = await generate(catalog, n);
      console.log(`generated ${n} entries in ${seconds.toFixed(1)} s (load ${load()})`);
    }
    const count = (await catalog.client.execute("select count(*) as n from catalog_entries")).rows[0]?.n;
    const names = (await catalog.client.execute("select count(distinct name) as n from catalog_entries"))
      .rows[0]?.n;
    const bytes = statSync(join(dir, "catalog.db")).size;
    const parts = await catalog.client
      .execute(
        "select case when name like 'catalog_names_fts%' then 'trigram index' when name like 'catalog%' then name else 'other' end as part, sum(pgsize) as bytes from dbstat group by part order by bytes desc",
      )
      .then(
        (r) => r.rows.map((row) => `${row.part} ${(Number(row.bytes) / 1e6).toFixed(0)} MB`).join(", "),
        (e) => `no dbstat: ${e}`,
      );
    console.log(
      `catalog of ${count} entries (${names} distinct names), ${(bytes / 1e6).toFixed(0)} MB on disk (${parts}); measuring (load ${load()})`,
    );
    const ctx: ServiceCtx = { db: catalog.db, now: () => new Date() };
    const stats: [Stat, Stat][] = [];
    const beforeSearch: Search = values.before
      ? (await import(resolve(values.before))).searchCatalog
      : searchBefore;
    for (const c of CASES) {
      const [before, after] = await measure(ctx, [beforeSearch, searchCatalog], c.query, n);
      if (before.ids !== after.ids) throw new Error(`${c.label}: the pages differ before/after`);
      stats.push([before, after]);
      const f = (s: Stat) =>
        `p50 ${s.p50.toFixed(1)} ms, p95 ${s.p95.toFixed(1)} ms, cpu ${s.cpu.toFixed(1)} ms (${s.n} runs)`;
      console.log(
        `  ${c.label} [${after.hits} hits${after.more ? ", more pages" : ""}]: before ${f(before)}; after ${f(after)} (load ${load()})`,
      );
    }
    if (n === sizes[0] && !values["search-only"]) await deletionCost(catalog);
    results.set(n, stats);
    catalog.client.close();
  }
  const pair = (n: number, i: number) => (results.get(n) as [Stat, Stat][])[i] as [Stat, Stat];
  console.log(
    "\n| query (limit 100, first page) | entries | before p50 | before p95 | before cpu | after p50 | after p95 | after cpu | p95 before/after |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  CASES.forEach((c, i) => {
    for (const n of sizes) {
      const [x, y] = pair(n, i);
      console.log(
        `| ${c.label} | ${n / 1e6}M | ${x.p50.toFixed(1)} | ${x.p95.toFixed(1)} | ${x.cpu.toFixed(1)} | ${y.p50.toFixed(1)} | ${y.p95.toFixed(1)} | ${y.cpu.toFixed(1)} | ${(x.p95 / y.p95).toFixed(1)}× |`,
      );
    }
  });
  const [a, b] = sizes;
  if (b !== undefined) {
    console.log(
      `\n| query | after p95 ${b / 1e6}M / ${(a as number) / 1e6}M | before p95 ${b / 1e6}M / ${(a as number) / 1e6}M |`,
    );
    console.log("| --- | ---: | ---: |");
    CASES.forEach((c, i) => {
      const [xa, ya] = pair(a as number, i);
      const [xb, yb] = pair(b, i);
      console.log(`| ${c.label} | ${(yb.p95 / ya.p95).toFixed(1)}× | ${(xb.p95 / xa.p95).toFixed(1)}× |`);
    });
  }
  if (!values["search-only"]) await ingestCost();
  if (values.keep) console.log(`\ncatalogs kept in ${root} (pass --reuse ${root}; remove it when done)`);
} finally {
  cleanup();
}

/** Deleting one set's entries (what a set deletion cascades to), with and without the names' delete trigger; rolled back. */
async function deletionCost(catalog: NodeCatalog): Promise<void> {
  const once = async (withIndex: boolean) => {
    const tx = await catalog.client.transaction("write");
    try {
      if (!withIndex) await tx.execute("drop trigger catalog_entries_names_delete");
      const t = performance.now();
      const result = await tx.execute(`delete from catalog_entries where set_id = ${SETS}`);
      return { ms: performance.now() - t, rows: result.rowsAffected };
    } finally {
      await tx.rollback();
    }
  };
  const runs = [await once(false), await once(true), await once(false), await once(true)];
  const withoutIdx = runs.filter((_, i) => i % 2 === 0);
  const withIdx = runs.filter((_, i) => i % 2 === 1);
  const mean = (xs: { ms: number }[]) => xs.reduce((s, x) => s + x.ms, 0) / xs.length;
  console.log(
    `  deleting one set (${withIdx[0]?.rows} entries, rolled back): ${mean(withoutIdx).toFixed(0)} ms without the names' delete trigger, ${mean(withIdx).toFixed(0)} ms with it (${(mean(withIdx) / mean(withoutIdx)).toFixed(2)}×; mean of 2 each, alternated)`,
  );
}

/** Catalog ingest through the hub's service, with and without the names' insert trigger, alternated. */
async function ingestCost(): Promise<void> {
  const N = 5000;
  const ROUNDS = 4;
  const PER_ROUND = 10;
  const setup = async (withIndex: boolean) => {
    const hub = await createTestHub();
    if (!withIndex) await hub.catalog.client.execute("drop trigger catalog_entries_names_insert");
    const { order, uuid } = await ingestTarget(hub);
    return { hub, order, uuid, seconds: 0, seq: 0 };
  };
  const sides = [await setup(true), await setup(false)];
  try {
    const word = (h: number) => WORDS[h % WORDS.length];
    for (let round = 0; round < ROUNDS; round++)
      for (const side of sides) {
        const chunks = Array.from({ length: PER_ROUND }, () => {
          const seq = side.seq++;
          return {
            setUuid: side.uuid,
            seq,
            entries: Array.from({ length: N }, (_, i) => {
              const x = seq * N + i;
              const h = (x * 2654435761) % 4294967296;
              return [
                `srv/share/${word(x >> 14)}/${word(x >> 8)}/${word(x >> 3)}/${word(h)}-${word(h >> 11)}${EXTS[(h >> 17) % EXTS.length]}`,
                "file",
                h % 5_000_000,
                0o644,
                1000,
                1000,
                1_700_000_000,
                null,
                "ab".repeat(32),
                x * 8192,
                0,
                0,
                false,
              ];
            }),
          };
        });
        const t = performance.now();
        for (const chunk of chunks) await ingestCatalogChunk(side.hub.ctx, side.order, chunk);
        side.seconds += (performance.now() - t) / 1000;
      }
    const total = N * ROUNDS * PER_ROUND;
    const [withIdx, without] = sides.map((s) => total / s.seconds) as [number, number];
    console.log(
      `\ningest through ingestCatalogChunk, ${total} entries each (${ROUNDS} alternating rounds of ${PER_ROUND} × ${N}): ${Math.round(without)} entries/s without the names' insert trigger, ${Math.round(withIdx)} entries/s with it (${(withIdx / without).toFixed(2)}×)`,
    );
  } finally {
    for (const side of sides) await side.hub.close();
  }
}

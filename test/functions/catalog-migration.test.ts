import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { D1Database } from "@cloudflare/workers-types";
import { asc, eq, sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import type { CatalogEntry, SegmentCatalogTally } from "../../contracts/agent-protocol.ts";
import { CatalogDigest } from "../../contracts/catalog-digest.ts";
import { dbFromD1 } from "../../functions/db/client.ts";
import { migrateCatalog } from "../../functions/db/client-node.ts";
import { backupSets, catalogEntries } from "../../functions/db/schema/index.ts";
import type { ServiceCtx } from "../../functions/deps.ts";
import { dropSetEntries } from "../../functions/services/catalog/drop-set-entries.ts";
import { planRestore } from "../../functions/services/catalog/restore-plan.ts";
import { searchCatalog, searchQuery } from "../../functions/services/catalog/search-catalog.ts";
import { acknowledgedBackupOrder, segmentOn } from "../helpers/backup-order.ts";
import { createTestHub, type TestHub } from "../helpers/hub.ts";
import { migrationsWithLast, migrationsWithout } from "../helpers/old-migrations.ts";
import { ROOT } from "../helpers/process.ts";
import { migrateLocalD1, wrangler } from "../helpers/wrangler.ts";

/**
 * Conversions: the distinct names (0013–0014), and the names' trigram terms (0023) on a catalog made
 * by the schema of 0022. Each catalog is made without them, then converted.
 */
const CONVERSIONS: [string[], string][] = [
  // 0023 keeps its terms by a trigger on catalog_names, so it comes after them.
  [["0013_catalog_names", "0014_catalog_names_convert", "0023_catalog_name_trigrams"], "catalog_names"],
  [["0023_catalog_name_trigrams"], "catalog_name_trigrams"],
];

const WORDS = ["report", "invoice", "scan", "summary", "s", "main", "résumé", "日本", "budget_2019", "x"];
const EXTS = [".pdf", ".c", ".txt", ".tar.gz", "", ".", ".PDF", ".h"];

/** Up to 25,000 entries (five chunks): names repeat across directories, as a file share's do. */
const ENTRIES: CatalogEntry[] = [];
for (let i = 0, seen = new Set<string>(); i < 25_000; i++) {
  const name = `${WORDS[i % WORDS.length]}${i % 7 === 0 ? `-${i % 13}` : ""}${EXTS[(i >> 3) % EXTS.length]}`;
  const path = `srv/share/d${i % 40}/e${i % 3}/f${i % 11}/${name}`;
  if (seen.has(path)) continue;
  seen.add(path);
  ENTRIES.push([
    path,
    "file",
    i % 5000,
    0o644,
    0,
    0,
    1_700_000_000 + i,
    null,
    "c".repeat(64),
    i * 1024,
    0,
    0,
    false,
  ]);
}

const QUERIES: Record<string, string | number>[] = [
  { q: "s" },
  { q: "report" },
  { q: "résumé" },
  { q: "nothing" },
  { glob: "*.c" },
  { glob: "*.pdf" },
  { glob: "*.PDF" },
  { glob: "*invoice*" },
  { glob: "?ain*" },
  { glob: "*[0-9].txt" },
  { glob: "*.gz" },
  { glob: "*." },
  { glob: "*日本*" },
  { glob: "s*" },
  { glob: "*zzz*" },
  // No three literal characters in a row: through the trigram terms (0023).
  { glob: "*-?.t*" },
  { glob: "*-?.q*" },
  { glob: "*?ain*" },
  { glob: "*[0-9]?.*" },
  { glob: "*é?u*" },
];

type Row = typeof catalogEntries.$inferSelect;

/** Every page of a search, concatenated. */
async function allPages(ctx: ServiceCtx, raw: Record<string, string | number>): Promise<Row[]> {
  const out: Row[] = [];
  let cursor: number | undefined;
  for (;;) {
    const page = await searchCatalog(
      ctx,
      searchQuery.parse({ ...raw, limit: 500, ...(cursor ? { cursor } : {}) }),
    );
    out.push(...page.items);
    if (page.nextCursor === null) return out;
    cursor = page.nextCursor;
  }
}

/** What a search must give, read straight from the entries (on the catalog before the migration). */
async function reference(ctx: ServiceCtx, raw: Record<string, string | number>): Promise<Row[]> {
  const byName = raw.q
    ? sql`${catalogEntries.name} >= ${raw.q} and ${catalogEntries.name} < ${`${raw.q}\u{10FFFF}`}`
    : sql`${catalogEntries.name} glob ${raw.glob}`;
  return ctx.db
    .select()
    .from(catalogEntries)
    .where(raw.setId ? sql`${byName} and ${catalogEntries.setId} = ${raw.setId}` : byName)
    .orderBy(asc(catalogEntries.id));
}

const tallyOf = (entries: CatalogEntry[]): SegmentCatalogTally => {
  const digest = new CatalogDigest();
  for (const e of entries) digest.add(e);
  return { sequence: 0, entries: digest.entries, digest: digest.hex() };
};

/**
 * A backup of ENTRIES through the hub's agent routes (chunks, segment, result: the set reconciles
 * and is complete), and a second set written by a scan-like direct insert; then what the catalog
 * holds, what each search must return and the restore plans, all read before the migration.
 */
async function catalogBeforeMigration(hub: TestHub, admin: string) {
  const order = await acknowledgedBackupOrder(hub, admin);
  const post = (path: string, json: unknown) =>
    order.agent.call("POST", `/orders/${order.orderId}/${path}`, json);
  for (let seq = 0; seq * 5000 < ENTRIES.length; seq++) {
    const res = await post("catalog", {
      setUuid: order.setUuid,
      seq,
      entries: ENTRIES.slice(seq * 5000, (seq + 1) * 5000),
    });
    expect(res.status, await res.clone().text()).toBe(200);
  }
  expect((await post("segments", segmentOn(order.setUuid, 0, 100))).status).toBe(204);
  expect((await post("result", { state: "completed", catalog: [tallyOf(ENTRIES)] })).status).toBe(204);
  const set = await hub.ctx.db.query.backupSets.findFirst({ where: eq(backupSets.id, order.setId) });
  expect(set?.state).toBe("complete");
  const rows = await hub.ctx.db.select().from(catalogEntries).orderBy(asc(catalogEntries.id));
  expect(rows).toHaveLength(ENTRIES.length);
  const queries = [...QUERIES, ...QUERIES.slice(0, 6).map((q) => ({ ...q, setId: order.setId }))];
  const searches = await Promise.all(queries.map((q) => reference(hub.ctx, q)));
  const selections = [[], ["srv/share/d3"], ["srv/share/d7/e1", "srv/share/d8/e2/f3"]];
  const plans = await Promise.all(
    selections.map((paths) => planRestore(hub.ctx, { setId: order.setId, paths })),
  );
  return { setId: order.setId, rows, queries, searches, selections, plans };
}

/** After the migration: the same rows, searches and plans, and the names and their indexes in step. */
async function expectUnchanged(ctx: ServiceCtx, before: Awaited<ReturnType<typeof catalogBeforeMigration>>) {
  expect(await ctx.db.select().from(catalogEntries).orderBy(asc(catalogEntries.id))).toEqual(before.rows);
  for (const [i, query] of before.queries.entries()) {
    const found = await allPages(ctx, query);
    expect({ query, ids: found.map((r) => r.id) }).toEqual({
      query,
      ids: before.searches[i]?.map((r) => r.id),
    });
    expect(found).toEqual(before.searches[i]);
  }
  for (const [i, paths] of before.selections.entries())
    expect(await planRestore(ctx, { setId: before.setId, paths })).toEqual(before.plans[i]);
  const names = await ctx.db.all<{ name: string }>(sql`select name from catalog_names order by name`);
  const distinct = await ctx.db.all<{ name: string }>(
    sql`select distinct name from catalog_entries order by name`,
  );
  expect(names).toEqual(distinct);
  await ctx.db.run(
    sql`insert into catalog_names_fts (catalog_names_fts, rank) values ('integrity-check', 1)`,
  );
  // Every trigram of every name is a term (by code point, as the trigram index counts them).
  const terms = new Set(
    (await ctx.db.all<{ term: string }>(sql`select term from catalog_name_trigrams`)).map((r) => r.term),
  );
  const trigrams = names.flatMap(({ name }) => {
    const chars = [...name];
    return chars.slice(2).map((_, i) => chars.slice(i, i + 3).join(""));
  });
  expect(trigrams.filter((term) => !terms.has(term))).toEqual([]);
  expect(terms.size).toBe(new Set(trigrams).size);
  // The set's entries dropped in slices: its names leave with them.
  expect(await dropSetEntries(ctx, before.setId)).toEqual({ entries: ENTRIES.length });
  expect(await ctx.db.all(sql`select name from catalog_names`)).toEqual([]);
  expect((await searchCatalog(ctx, searchQuery.parse({ glob: "*.c" }))).items).toEqual([]);
}

describe.each(CONVERSIONS)(
  "migrations %j convert a catalog made by the schema without them (no %s) in place",
  (CONVERSION, table) => {
    it("on Node: every entry, search result and restore plan is unchanged", async () => {
      const old = migrationsWithout(CONVERSION);
      const hub = await createTestHub({ POLL_INTERVAL_MS: "20" }, { migrationsFolder: old.folder });
      try {
        expect(
          (
            await hub.catalog.client.execute({
              sql: "select name from sqlite_master where name = ?",
              args: [table],
            })
          ).rows,
        ).toEqual([]);
        const before = await catalogBeforeMigration(hub, await hub.tokenFor("admin"));
        await migrateCatalog(
          hub.catalog,
          `file:${join(hub.dir, "catalog.db")}`,
          migrationsWithLast(CONVERSION),
        );
        await expectUnchanged(hub.ctx, before);
      } finally {
        await hub.close();
      }
    }, 120_000);

    describe("on D1", () => {
      const persistDir = mkdtempSync(join(tmpdir(), "tb-d1-migrate-"));
      afterAll(() => rmSync(persistDir, { recursive: true, force: true }));

      it("every entry, search result and restore plan is unchanged", async () => {
        const old = migrationsWithout(CONVERSION);
        await wrangler([
          "d1",
          "migrations",
          "apply",
          "DB",
          "--local",
          `--persist-to=${persistDir}`,
          `--config=${old.wranglerConfig}`,
        ]);
        const { getPlatformProxy } = await import("wrangler");
        const open = () =>
          getPlatformProxy<{ DB: D1Database }>({
            configPath: join(ROOT, "wrangler.toml"),
            persist: { path: join(persistDir, "v3") },
            envFiles: [],
            remoteBindings: false,
          });
        let proxy = await open();
        const hub = await createTestHub({ POLL_INTERVAL_MS: "20" }, { db: dbFromD1(proxy.env.DB) });
        try {
          const tables = await hub.ctx.db.all(sql`select name from sqlite_master where name = ${table}`);
          expect(tables).toEqual([]);
          const before = await catalogBeforeMigration(hub, await hub.tokenFor("admin"));
          await proxy.dispose();
          await migrateLocalD1(persistDir);
          proxy = await open();
          await expectUnchanged({ db: dbFromD1(proxy.env.DB), now: () => new Date() }, before);
        } finally {
          await hub.close();
          await proxy.dispose();
        }
      }, 180_000);
    });
  },
);

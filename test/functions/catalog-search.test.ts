import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backupSets, catalogEntries } from "../../functions/db/schema/index.ts";
import {
  globExtension,
  searchCatalog,
  searchQuery,
  skipScanParts,
  trigramSearchable,
  trigramWindows,
} from "../../functions/services/catalog/search-catalog.ts";
import { insertSet } from "../helpers/catalog-rows.ts";
import { createTestHub, type TestHub } from "../helpers/hub.ts";

const NAMES = [
  "report-2024.pdf",
  "report-2025.PDF",
  "Report-final.pdf",
  "quarterly-invoice.pdf",
  "invoice.txt",
  "INVOICE-old.txt",
  "budget_2019.xlsx",
  "budget_2029.xlsx",
  "budget_2019.pdf",
  "<img src=x onerror=alert(1)>.txt",
  "a&b \"quoted\" 'single'.txt",
  "[draft]*star?.md",
  "héllo wörld ✓ 日本.txt",
  "main.c",
  "x.pdf.bak",
  "pdf",
];

const GLOBS = [
  "*.pdf",
  "*invoice*",
  "*INVOICE*",
  "report*.pdf",
  "budget_20?9.*",
  "*<img*",
  '*"quoted"*',
  "*[[]draft]*",
  "*[*]star*",
  "*wörld ✓*",
  "*日本*",
  "*[0-9].pdf",
  "*[^0-9].pdf",
  "*.c",
  "?df",
  "*pdf*",
  "*nothing-like-this*",
  "*.txt",
  "*[0-9].xlsx",
  "*.",
  "*.PDF",
  "x*.bak",
];

describe("catalog name search", () => {
  let hub: TestHub;
  /** A page of a glob's matches read by SQLite's own glob over every entry: what a search must give. */
  const scanPage = async (glob: string, after: number) =>
    (
      await hub.catalog.client.execute({
        sql: "select id from catalog_entries where name glob ? and id > ? order by id limit 500",
        args: [glob, after],
      })
    ).rows.map((r) => Number(r.id));
  const sets: number[] = [];
  beforeAll(async () => {
    hub = await createTestHub();
    for (const day of [1, 2, 3]) {
      const setId = await insertSet(hub, { startedAt: new Date(`2026-01-0${day}`) });
      sets.push(setId);
      await hub.ctx.db.insert(catalogEntries).values(
        NAMES.map((name, i) => ({
          setId,
          dir: `srv/share/d${i % 3}`,
          name,
          type: "file" as const,
          size: i,
          mode: 0o644,
          uid: 0,
          gid: 0,
          mtime: 1_700_000_000,
          offset: i * 1024,
        })),
      );
    }
  });
  afterAll(() => hub.close());

  /** What SQLite's GLOB says over every row, in id order: the answer the search must give. */
  const scan = async (glob: string, setId?: number) =>
    (
      await hub.catalog.client.execute({
        sql: `select id from catalog_entries where name glob ? ${setId ? "and set_id = ?" : ""} order by id`,
        args: setId ? [glob, setId] : [glob],
      })
    ).rows.map((r) => Number(r.id));

  const search = (input: Record<string, unknown>) =>
    searchCatalog(hub.ctx, searchQuery.parse({ limit: 500, ...input }));

  /** A glob's first page, and its page after `cursor`, are the ones SQLite's own glob gives. */
  const expectPagesLikeScan = async (glob: string, cursor: number) => {
    for (const after of [undefined, cursor]) {
      const page = await search({ glob, cursor: after, limit: 500 });
      expect({ glob, after, ids: page.items.map((e) => e.id) }).toEqual({
        glob,
        after,
        ids: await scanPage(glob, after ?? 0),
      });
    }
  };

  it("answers every glob (leading *, ?, classes, markup, quotes, unicode, too short for trigrams) exactly as a scan of every name does", async () => {
    for (const glob of GLOBS) {
      const found = (await search({ glob })).items.map((e) => e.id);
      expect({ glob, found }).toEqual({ glob, found: await scan(glob) });
    }
    expect((await search({ glob: "*invoice*" })).items.map((e) => e.name)).toEqual(
      Array(3).fill(["quarterly-invoice.pdf", "invoice.txt"]).flat(),
    );
    expect((await search({ glob: "*.c" })).items.map((e) => e.name)).toEqual(["main.c", "main.c", "main.c"]);
  });

  it("is case-sensitive, as GLOB is", async () => {
    expect((await search({ glob: "*INVOICE*" })).items.map((e) => e.name)).toEqual(
      Array(3).fill("INVOICE-old.txt"),
    );
    expect((await search({ glob: "*.PDF" })).items.map((e) => e.name)).toEqual(
      Array(3).fill("report-2025.PDF"),
    );
  });

  it("finds names by prefix, a name with markup characters included, and within one set", async () => {
    expect((await search({ q: "report-" })).items.map((e) => e.name)).toEqual(
      Array(3).fill(["report-2024.pdf", "report-2025.PDF"]).flat(),
    );
    expect((await search({ q: "<img src=x" })).items.map((e) => e.name)).toEqual(
      Array(3).fill("<img src=x onerror=alert(1)>.txt"),
    );
    const inSet = await search({ glob: "*voice*", setId: sets[1] });
    expect(inSet.items.map((e) => [e.setId, e.name])).toEqual([
      [sets[1], "quarterly-invoice.pdf"],
      [sets[1], "invoice.txt"],
    ]);
    expect(inSet.items.map((e) => e.id)).toEqual(await scan("*voice*", sets[1]));
  });

  it("pages through a substring match with the cursor: every entry once, in id order", async () => {
    for (const input of [{ glob: "*pdf*" }, { glob: "*.t?t" }, { q: "budget_" }]) {
      const seen: number[] = [];
      let cursor: number | undefined;
      for (let page = 0; page < 20; page++) {
        const result = await search({ ...input, limit: 2, cursor });
        expect(result.items.length).toBeLessThanOrEqual(2);
        seen.push(...result.items.map((e) => e.id));
        if (result.nextCursor === null) break;
        cursor = result.nextCursor;
      }
      const all = (await search(input)).items.map((e) => e.id);
      expect(seen).toEqual(all);
      if (input.glob) expect(seen).toEqual(await scan(input.glob));
    }
  });

  it("keeps the trigram index in step: a deleted set's entries are no longer found, new entries are", async () => {
    const gone = sets[0] as number;
    await hub.ctx.db.delete(backupSets).where(eq(backupSets.id, gone));
    const after = await search({ glob: "*invoice*" });
    expect(after.items.every((e) => e.setId !== gone)).toBe(true);
    expect(after.items).toHaveLength(4);
    await hub.ctx.db.insert(catalogEntries).values({
      setId: sets[2] as number,
      dir: "srv/new",
      name: "late-invoice.odt",
      type: "file",
      size: 1,
      mode: 0o644,
      uid: 0,
      gid: 0,
      mtime: 1_700_000_000,
      offset: 99_999,
    });
    expect((await search({ glob: "*invoice.odt" })).items.map((e) => e.name)).toEqual(["late-invoice.odt"]);
    await hub.ctx.db
      .update(catalogEntries)
      .set({ name: "renamed.odt" })
      .where(eq(catalogEntries.name, "late-invoice.odt"));
    expect((await search({ glob: "*invoice.odt" })).items).toEqual([]);
    expect((await search({ glob: "*named.od*" })).items.map((e) => e.name)).toEqual(["renamed.odt"]);
    for (const glob of GLOBS)
      expect((await search({ glob })).items.map((e) => e.id)).toEqual(await scan(glob));
    // FTS5 compares the index with the names in catalog_entries and throws when they differ.
    await expect(
      hub.catalog.client.execute(
        "insert into catalog_names_fts (catalog_names_fts, rank) values ('integrity-check', 1)",
      ),
    ).resolves.toBeDefined();
  });

  it("pages through a dense prefix (20,000+ matches, ids beyond the first id window) exactly as the sorted range does", async () => {
    const set = sets[2] as number;
    // 21,000 `dense-` names, 2,500 ids apart from id 1,000,000 on: 80 of them in a 200,000-id window.
    await hub.catalog.client.execute(`
      insert into catalog_entries (id, set_id, dir, name, type, size, mode, uid, gid, mtime, offset)
      with recursive n(x) as (select 0 union all select x + 1 from n where x < 20999)
      select 1000000 + x * 2500, ${set}, 'srv/dense',
             'dense-' || (x % 997) || '.bin', 'file', 1, 420, 0, 0, 0, x * 512
      from n`);
    const reference = async (q: string, after: number) =>
      (
        await hub.catalog.client.execute({
          sql: "select id from catalog_entries where name >= ? and name < ? and id > ? order by id limit 500",
          args: [q, `${q}\u{10FFFF}`, after],
        })
      ).rows.map((r) => Number(r.id));
    for (const [q, cursor] of [
      ["dense-", undefined],
      ["dense-", 1_002_499],
      ["dense-1", undefined],
      ["d", 1_000_000],
    ] as const) {
      const page = await search({ q, cursor, limit: 500 });
      expect({ q, cursor, ids: page.items.map((e) => e.id) }).toEqual({
        q,
        cursor,
        ids: await reference(q, cursor ?? 0),
      });
    }
    // Globs over the same entries, one for each way their names are found (prefix, extension,
    // trigrams, every name; 100 names or more, and fewer: `dense-99*`, `*nse-99?.b*`), from the
    // start and from a cursor past the first id window.
    for (const glob of ["dense-1*", "*.bin", "*nse-9*", "?e?s?-*", "*[0-9]?b?n", "dense-99*", "*nse-99?.b*"])
      for (const cursor of [undefined, 1_250_000]) {
        const rows = await hub.catalog.client.execute({
          sql: "select id from catalog_entries where name glob ? and id > ? order by id limit 300",
          args: [glob, cursor ?? 0],
        });
        const page = await search({ glob, cursor, limit: 300 });
        expect({ glob, cursor, ids: page.items.map((e) => e.id) }).toEqual({
          glob,
          cursor,
          ids: rows.rows.map((r) => Number(r.id)),
        });
      }
    // A page that starts inside the id window and ends past it.
    const straddling = await search({ q: "dense-", cursor: 999_999, limit: 100 });
    expect(straddling.items.map((e) => e.id)).toEqual((await reference("dense-", 999_999)).slice(0, 100));
    expect(straddling.items.some((e) => e.id > 1_199_999)).toBe(true);
    expect(straddling.nextCursor).toBe(1_000_000 + 99 * 2500);
    await hub.catalog.client.execute("delete from catalog_entries where dir = 'srv/dense'");
  });

  it("pages through a glob matching many names (100+), whether the first 20,000 ids hold a few of them or none, exactly as a scan does", async () => {
    const set = sets[2] as number;
    // 1,500 distinct `many-N.dat` names: 15 of them within the first 20,000 ids, the others
    // from id 300,000 on, 100 ids apart (past the first 200,000-id window).
    await hub.catalog.client.execute(`
      insert into catalog_entries (id, set_id, dir, name, type, size, mode, uid, gid, mtime, offset)
      with recursive n(x) as (select 0 union all select x + 1 from n where x < 1499)
      select case when x < 15 then 5000 + x * 1000 else 300000 + x * 100 end, ${set}, 'srv/many',
             'many-' || x || '.dat', 'file', 1, 420, 0, 0, 0, x * 512
      from n`);
    const reference = async (glob: string, after: number, limit: number, setId?: number) =>
      (
        await hub.catalog.client.execute({
          sql: `select id from catalog_entries where name glob ? and id > ? ${setId ? "and set_id = ?" : ""} order by id limit ?`,
          args: setId ? [glob, after, setId, limit] : [glob, after, limit],
        })
      ).rows.map((r) => Number(r.id));
    // One glob for each way the names are found (prefix, extension, trigrams, a skip, every name); a page
    // of 100 (the 15 early matches are enough to walk on) and of 500 (they are not: the index
    // answers), from the start, from a cursor among the early ones, past the first window.
    // `…[12]??.…`: 200 names (a prefix, a skip, trigrams), listed for the index once the first
    // 20,000 ids hold few of them.
    for (const glob of [
      "many-*.dat",
      "*.dat",
      "*any-1*",
      "?any-*",
      "*[0-9]?d?t",
      "many-[12]??.dat",
      "?any-[12]??.dat",
      "*ny-[12]??.d*",
    ])
      for (const cursor of [undefined, 9_000, 250_000])
        for (const limit of [100, 500]) {
          const page = await search({ glob, cursor, limit });
          const ids = await reference(glob, cursor ?? 0, limit);
          expect({ glob, cursor, limit, ids: page.items.map((e) => e.id) }).toEqual({
            glob,
            cursor,
            limit,
            ids,
          });
          expect(page.nextCursor).toBe(ids.length === limit ? (ids.at(-1) as number) : null);
        }
    for (const setId of sets) {
      const page = await search({ glob: "*.dat", setId, limit: 100 });
      expect(page.items.map((e) => e.id)).toEqual(await reference("*.dat", 0, 100, setId));
    }
    await hub.catalog.client.execute("delete from catalog_entries where dir = 'srv/many'");
  });

  it("finds the names of a glob with no three literal characters in a row through its trigram terms, exactly as a scan does, over long UTF-8 names holding glob and LIKE characters", async () => {
    const set = sets[2] as number;
    // 3,000 names: a 60-character run of 1- to 4-byte UTF-8, then pieces with `-`, `.`, `?`, `*`,
    // `[`, `%`, `_`, `"` and spaces, then an extension; some names of one and two characters.
    const alphabet = ["a", "é", "日", "😀", "\u{10FFFF}", "b", "-", ".", " "];
    const pieces = ["-a.x", "- 1.x", "-1.xlsx", "?x.", "*[", "%_", '"a"', "[?]", "-?.", "x-y.z", "ab"];
    const exts = [".xml", ".x", ".pdf", "", ".c", ".日"];
    const names = Array.from({ length: 3000 }, (_, i) => {
      if (i % 250 === 3) return ["-", ".x", "x", "ab", "日"][i % 5] as string;
      const run = Array.from(
        { length: 60 },
        (_, j) => alphabet[(i * 7 + j * ((i % 5) + 1)) % alphabet.length],
      );
      return `${run.slice(0, i % 61).join("")}${pieces[i % pieces.length]}${pieces[(i >> 4) % pieces.length]}${exts[i % exts.length]}`;
    });
    await hub.catalog.client.execute({
      sql: `insert into catalog_entries (id, set_id, dir, name, type, size, mode, uid, gid, mtime, offset)
            select 3000000 + n.key * 4 + d.key, ?, 'srv/terms/' || d.key, n.value, 'file', 1, 420, 0, 0, 0, 0
            from json_each(?) n, json_each('[0,1,2,3]') d`,
      args: [set, JSON.stringify(names)],
    });
    // The terms the trigger keeps hold every trigram of every name, by code point.
    const terms = (await hub.catalog.client.execute("select term from catalog_name_trigrams")).rows.map((r) =>
      String(r.term),
    );
    const held = (await hub.catalog.client.execute("select name from catalog_names")).rows.flatMap((r) => {
      const chars = [...String(r.name)];
      return chars.slice(2).map((_, i) => chars.slice(i, i + 3).join(""));
    });
    // Terms stay when their names leave (the tests before dropped theirs): a superset.
    const known = new Set(terms);
    expect(held.filter((term) => !known.has(term))).toEqual([]);
    const globs = [
      "*-?.x*",
      "*- ?.x*",
      "*-?.q*",
      "*?.x",
      "*-?.x",
      "*[?]?.*",
      "*[*][[]?*",
      "*%_*?",
      '*"?"*',
      "*日?😀*",
      "*\u{10FFFF}?-*",
      "*a?é*.x*",
      "*?ab",
      "*[0-9]?.x*",
      "*?-?*",
      "*-*.*x",
      "*[^a]-?.*",
    ];
    for (const glob of globs) {
      expect({ glob, windows: trigramWindows(glob).length > 0 }).toEqual({ glob, windows: true });
      await expectPagesLikeScan(glob, 3_004_000);
    }
    expect((await search({ glob: "*-?.x*" })).items.length).toBeGreaterThan(0);
    await hub.catalog.client.execute("delete from catalog_entries where dir like 'srv/terms/%'");
  });

  it("finds the names of a glob with a leading ? by a skip through the name index, exactly as a scan does, over 24,000 entries with UTF-8 names", async () => {
    const set = sets[2] as number;
    // 24,000 entries of 2,400 names: a first and second character from UTF-8 alphabets (one, two,
    // three and four bytes), then a word and an extension; a few names of three characters and
    // one that starts with the last code point.
    const firsts = ["a", "s", "Z", "0", "-", "é", "ß", "日", "✓", "😀", "\u{10FFFF}"];
    const seconds = ["d", "a", "é", "日", "😀", "x", "_", "."];
    const names = Array.from({ length: 2400 }, (_, i) => {
      const head = `${firsts[i % firsts.length]}${seconds[Math.floor(i / 11) % seconds.length]}`;
      return i % 100 === 7
        ? `${head}f`
        : `${head}${["df", "ata", "日本", "x"][i % 4]}-${i % 37}.${["pdf", "txt", "c"][i % 3]}`;
    });
    names.push("\u{10FFFF}df", "😀df", "édf", "xdf");
    await hub.catalog.client.execute({
      sql: `insert into catalog_entries (id, set_id, dir, name, type, size, mode, uid, gid, mtime, offset)
            select 2000000 + n.key * 10 + d.key, ?, 'srv/skip/' || d.key, n.value, 'file', 1, 420, 0, 0, 0, 0
            from json_each(?) n, json_each('[0,1,2,3,4,5,6,7,8,9]') d`,
      args: [set, JSON.stringify(names)],
    });
    const globs = [
      "?df",
      "?d*",
      "?é*",
      "?日*",
      "?😀*",
      "s?a*",
      "é?日*",
      "😀?x*",
      "[a-z]d*",
      "[^a-z]x*",
      "?.*",
      "?af",
    ];
    for (const glob of globs) {
      expect({ glob, skip: skipScanParts(glob) !== null }).toEqual({ glob, skip: true });
      await expectPagesLikeScan(glob, 2_012_000);
    }
    const threes = (await search({ glob: "?df" })).items.map((e) => e.name);
    expect(threes).toEqual(expect.arrayContaining(["\u{10FFFF}df", "😀df", "édf", "xdf", "pdf", "日df"]));
    expect(threes.every((name) => [...name].length === 3)).toBe(true);
    await hub.catalog.client.execute("delete from catalog_entries where dir like 'srv/skip/%'");
  });

  it("skips through the name index only for a short literal prefix, one one-character wildcard, then a literal", () => {
    expect(skipScanParts("?df")).toEqual({ prefix: "", literal: "df" });
    expect(skipScanParts("s?a*")).toEqual({ prefix: "s", literal: "a" });
    expect(skipScanParts("[ab]x*")).toEqual({ prefix: "", literal: "x" });
    expect(skipScanParts("日?本*")).toEqual({ prefix: "日", literal: "本" });
    expect(skipScanParts("??df")).toBeNull();
    expect(skipScanParts("*df")).toBeNull();
    expect(skipScanParts("?*")).toBeNull();
    expect(skipScanParts("abc?d")).toBeNull();
    expect(skipScanParts("[ab")).toBeNull();
  });

  it("looks a glob's names up by the extension its literal ending gives, whatever comes before", () => {
    expect(globExtension("*.c")).toBe("c");
    expect(globExtension("*.pdf")).toBe("pdf");
    expect(globExtension("*[0-9].tar.gz")).toBe("gz");
    expect(globExtension("budget_20?9.*")).toBeNull();
    expect(globExtension("*.")).toBe("");
    expect(globExtension("*[.]c")).toBeNull();
    expect(globExtension("*[]].c")).toBe("c");
    expect(globExtension("*[.c")).toBeNull();
    expect(globExtension("main.c")).toBe("c");
    expect(globExtension("*invoice*")).toBeNull();
  });

  it("uses the trigram index for globs with three literal characters in a row and no three-character literal prefix nor extension", () => {
    expect(trigramWindows("*-?.x*")).toEqual([["-?."], ["?.x"]]);
    expect(trigramWindows("*-*.x")).toEqual([["-??", "?-?", "??-"], ["?.x"]]);
    expect(trigramWindows("*[0-9].c?v*")).toEqual([["[0-9].c"], [".c?"], ["c?v"]]);
    expect(trigramWindows("*a?*")).toEqual([]);
    expect(trigramWindows("*a*b*")).toEqual([]);
    expect(trigramWindows("*???*")).toEqual([]);
    expect(trigramSearchable("*.pdf")).toBe(false);
    expect(trigramSearchable("*.pdf*")).toBe(true);
    expect(trigramSearchable("*invoice*")).toBe(true);
    expect(trigramSearchable("a?bcd")).toBe(true);
    expect(trigramSearchable("report*.pdf")).toBe(false);
    expect(trigramSearchable("budget_20?9.*")).toBe(false);
    expect(trigramSearchable("*.c")).toBe(false);
    expect(trigramSearchable("[abc]d*")).toBe(false);
    expect(trigramSearchable("*[^xyz]?")).toBe(false);
    expect(trigramSearchable("*日本語*")).toBe(true);
    expect(trigramSearchable("日本語*")).toBe(false);
  });
});

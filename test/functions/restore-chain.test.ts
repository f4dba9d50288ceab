import { describe, expect, it } from "vitest";
import {
  backupSetSegments,
  type backupSets,
  catalogEntries,
  jobs,
  tapes,
} from "../../functions/db/schema/index.ts";
import { browseTree } from "../../functions/services/catalog/browse-tree.ts";
import { planRestore, planRestoreParts } from "../../functions/services/catalog/restore-plan.ts";
import { fileEntry, insertSet } from "../helpers/catalog-rows.ts";
import { hubWithAdminForEachTest, type TestHub } from "../helpers/hub.ts";

describe("a point-in-time restore plan over a job's chain", () => {
  let hub: TestHub;
  hubWithAdminForEachTest({}, (fixture) => ({ hub } = fixture));

  const day = (n: number) => new Date(Date.UTC(2026, 10, n, 2));

  /** A set of the job on its own tape `barcode`, holding `entries`; its id. */
  async function setOnTape(
    jobId: number,
    barcode: string,
    fields: Partial<typeof backupSets.$inferInsert>,
    entries: (setId: number) => (typeof catalogEntries.$inferInsert)[],
  ): Promise<number> {
    const now = new Date();
    const [tape] = await hub.ctx.db
      .insert(tapes)
      .values({
        barcode,
        label: barcode,
        uuid: `u-${barcode}`,
        state: "active",
        createdAt: now,
        updatedAt: now,
      })
      .returning({ id: tapes.id });
    const setId = await insertSet(hub, { jobId, ...fields });
    await hub.ctx.db.insert(backupSetSegments).values({
      setId,
      sequence: 0,
      tapeId: tape?.id as number,
      fileNumber: 1,
      complete: true,
      createdAt: now,
    });
    await hub.ctx.db.insert(catalogEntries).values(entries(setId));
    return setId;
  }

  /** Monday full (a, b, c, d/e), Tuesday incremental (b changed, c deleted, f new), Wednesday incremental (a changed). */
  async function weekOfSets() {
    const now = new Date();
    const [job] = await hub.ctx.db
      .insert(jobs)
      .values({ name: "Week", backupType: "incremental", createdAt: now, updatedAt: now })
      .returning();
    const jobId = job?.id as number;
    const dir = (setId: number, name: string, offset: number) =>
      fileEntry(setId, "", name, { type: "dir", size: 0, sha256: null, offset, mtime: offset });
    const full = await setOnTape(jobId, "MON001L9", { backupType: "full", startedAt: day(2) }, (s) => [
      dir(s, "srv", 0),
      fileEntry(s, "srv", "a.txt", { offset: 512, mtime: 1 }),
      fileEntry(s, "srv", "b.txt", { offset: 1536, mtime: 1 }),
      fileEntry(s, "srv", "c.txt", { offset: 2560, mtime: 1 }),
      fileEntry(s, "srv/d", "e.txt", { offset: 3584, mtime: 1, size: 7 }),
    ]);
    const tuesday = await setOnTape(
      jobId,
      "TUE001L9",
      { backupType: "incremental", baseSetId: full, startedAt: day(3) },
      (s) => [
        fileEntry(s, "srv", "b.txt", { offset: 0, mtime: 2, size: 9 }),
        fileEntry(s, "srv", "f.txt", { offset: 1024, mtime: 2 }),
        fileEntry(s, "srv", "c.txt", { offset: 0, size: 0, sha256: null, deleted: true }),
      ],
    );
    const wednesday = await setOnTape(
      jobId,
      "WED001L9",
      { backupType: "incremental", baseSetId: tuesday, startedAt: day(4) },
      (s) => [fileEntry(s, "srv", "a.txt", { offset: 0, mtime: 3, size: 11 })],
    );
    return { jobId, full, tuesday, wednesday };
  }

  const pathsOf = (parts: Awaited<ReturnType<typeof planRestoreParts>>["parts"]) =>
    parts.map((p) => [p.set.id, p.entries.map((e) => `${e.dir}/${e.name}`)]);

  it("merges the full and the incrementals up to the set: later versions win and deleted files are gone", async () => {
    const { full, tuesday } = await weekOfSets();
    const { plan, parts } = await planRestoreParts(hub.ctx, { setId: tuesday, paths: [] });
    expect(pathsOf(parts)).toEqual([
      [full, ["/srv", "srv/a.txt", "srv/d/e.txt"]],
      [tuesday, ["srv/b.txt", "srv/f.txt"]],
    ]);
    expect(plan.set.id).toBe(tuesday);
  });

  it("counts only the files that will be written, never deletion markers or directories, and their bytes", async () => {
    const { tuesday } = await weekOfSets();
    const plan = await planRestore(hub.ctx, { setId: tuesday, paths: [] });
    expect(plan.files).toBe(4);
    expect(plan.entries).toBe(5);
    expect(plan.bytes).toBe(5 + 7 + 9 + 5);
    expect(plan.sets.map((s) => [s.backupType, s.files])).toEqual([
      ["full", 2],
      ["incremental", 2],
    ]);
  });

  it("lists the tapes of every set it reads in the order they will be read, and skips a set that gives nothing", async () => {
    const { jobId, full, tuesday, wednesday } = await weekOfSets();
    const plan = await planRestore(hub.ctx, { setId: wednesday, paths: [] });
    expect(plan.tapes.map((t) => [t.setId, t.barcode])).toEqual([
      [full, "MON001L9"],
      [tuesday, "TUE001L9"],
      [wednesday, "WED001L9"],
    ]);
    // Only b.txt and f.txt, both of Tuesday's set: Monday's tape is not needed.
    const some = await planRestore(hub.ctx, { jobId, asOf: day(4), paths: ["srv/b.txt", "srv/f.txt"] });
    expect(some.tapes.map((t) => t.barcode)).toEqual(["TUE001L9"]);
    expect(some.files).toBe(2);
  });

  it("restores a job as of a moment from the newest complete set started before it", async () => {
    const { jobId, tuesday } = await weekOfSets();
    const plan = await planRestore(hub.ctx, {
      jobId,
      asOf: new Date(day(3).getTime() + 3_600_000),
      paths: [],
    });
    expect(plan.set.id).toBe(tuesday);
    await expect(planRestore(hub.ctx, { jobId, asOf: day(1), paths: [] })).rejects.toThrow(
      /no complete backup set started at or before/,
    );
  });

  it("refuses a selection the tree as of the set no longer holds, though an older set holds it", async () => {
    const { tuesday } = await weekOfSets();
    await expect(planRestore(hub.ctx, { setId: tuesday, paths: ["srv/c.txt"] })).rejects.toThrow(
      /Nothing in the tree as of set/,
    );
  });

  it("a verify's plan is the set alone, as its tapes hold it, deletion markers included", async () => {
    const { tuesday } = await weekOfSets();
    const plan = await planRestore(hub.ctx, { setId: tuesday, paths: [] }, "set");
    expect(plan.entries).toBe(3);
    expect(plan.tapes.map((t) => t.barcode)).toEqual(["TUE001L9"]);
  });

  it("browses the merged tree: each entry with the set holding its version, deleted names gone", async () => {
    const { full, tuesday, wednesday } = await weekOfSets();
    const tree = await browseTree(hub.ctx, wednesday, { dir: "srv", limit: 200 });
    expect(tree.items.map((e) => [e.name, e.setId])).toEqual([
      ["a.txt", wednesday],
      ["b.txt", tuesday],
      ["f.txt", tuesday],
    ]);
    expect(tree.chain.map((s) => s.id)).toEqual([full, tuesday, wednesday]);
    const page = await browseTree(hub.ctx, wednesday, { dir: "srv", limit: 2 });
    expect(page.nextAfter).toBe("b.txt");
    const rest = await browseTree(hub.ctx, wednesday, { dir: "srv", limit: 2, after: "b.txt" });
    expect(rest.items.map((e) => e.name)).toEqual(["f.txt"]);
  });
});

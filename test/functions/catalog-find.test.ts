import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backupSetSegments, catalogEntries, pools, tapes } from "../../functions/db/schema/index.ts";
import { catalogRows } from "../../functions/services/orders/catalog-rows.ts";
import { insertSet } from "../helpers/catalog-rows.ts";
import { createTestHub, type TestHub } from "../helpers/hub.ts";

describe("finding files in the catalog", () => {
  let hub: TestHub;
  let token: string;
  const sets: number[] = [];
  beforeAll(async () => {
    hub = await createTestHub();
    token = await hub.tokenFor("read-only");
    for (const [i, startedAt] of [new Date("2026-01-01"), new Date("2026-02-01")].entries()) {
      const setId = await insertSet(hub, { startedAt });
      sets.push(setId);
      const entry = (path: string, type = "file", size = 10 + i) => [
        path,
        type,
        size,
        0o644,
        0,
        0,
        1_700_000_000,
        null,
        null,
        0,
        0,
        0,
        false,
      ];
      const rows = catalogRows([
        entry("home/", "dir", 0),
        entry("home/alice/", "dir", 0),
        ...Array.from({ length: 5 }, (_, n) => entry(`home/alice/report-${n}.pdf`)),
        entry("home/alice/<img src=x onerror=alert(1)>.txt"),
        entry("home/bob/notes.txt"),
      ]);
      await hub.ctx.db.insert(catalogEntries).values(
        rows.map(
          ([
            dir,
            name,
            type,
            size,
            mode,
            uid,
            gid,
            mtime,
            linkTarget,
            sha256,
            offset,
            segment,
            endSegment,
            deleted,
          ]) => ({
            setId,
            dir,
            name,
            type: type as "file",
            size,
            mode,
            uid,
            gid,
            mtime,
            linkTarget,
            sha256,
            offset,
            segment,
            endSegment,
            deleted: deleted === 1,
          }),
        ),
      );
    }
  });
  afterAll(() => hub.close());

  const get = async (path: string) =>
    (await hub.request(path, { token })).json() as Promise<Record<string, unknown>>;

  it("browses one directory of a set, in name order, a page at a time", async () => {
    const first = (await get(`/api/v1/sets/${sets[0]}/tree?dir=/home/alice/&limit=4`)) as {
      dir: string;
      items: { name: string }[];
      nextAfter: string;
    };
    expect(first.dir).toBe("home/alice");
    expect(first.items.map((e) => e.name)).toEqual([
      "<img src=x onerror=alert(1)>.txt",
      "report-0.pdf",
      "report-1.pdf",
      "report-2.pdf",
    ]);
    const second = (await get(
      `/api/v1/sets/${sets[0]}/tree?dir=home/alice&limit=4&after=${encodeURIComponent(first.nextAfter)}`,
    )) as { items: { name: string }[]; nextAfter: string | null };
    expect(second.items.map((e) => e.name)).toEqual(["report-3.pdf", "report-4.pdf"]);
    expect(second.nextAfter).toBeNull();
    expect(
      ((await get(`/api/v1/sets/${sets[0]}/tree`)) as { items: { name: string }[] }).items.map((e) => e.name),
    ).toEqual(["home"]);
  });

  it("lists every version of a path, newest set first", async () => {
    const res = (await get("/api/v1/catalog/versions?path=home/bob/notes.txt")) as {
      versions: { entry: { size: number }; set: { id: number } }[];
    };
    expect(res.versions.map((v) => [v.set.id, v.entry.size])).toEqual([
      [sets[1], 11],
      [sets[0], 10],
    ]);
  });

  it("searches names by prefix and by glob, optionally within one set", async () => {
    const prefix = (await get("/api/v1/catalog/search?q=report-&limit=100")) as { items: unknown[] };
    expect(prefix.items).toHaveLength(10);
    const glob = (await get(`/api/v1/catalog/search?glob=*.txt&setId=${sets[1]}`)) as {
      items: { name: string }[];
    };
    expect(glob.items.map((e) => e.name).sort()).toEqual(["<img src=x onerror=alert(1)>.txt", "notes.txt"]);
    expect((await hub.request("/api/v1/catalog/search", { token })).status).toBe(400);
    expect((await hub.request("/api/v1/sets/1/tree?dir=../etc", { token })).status).toBe(400);
  });

  it("plans a restore: the entries under a directory, the tape holding them, and what the operator must do", async () => {
    const now = new Date();
    const [pool] = await hub.ctx.db
      .insert(pools)
      .values({ name: "Weekly", createdAt: now, updatedAt: now })
      .returning();
    const [tape] = await hub.ctx.db
      .insert(tapes)
      .values({
        barcode: "L00003L9",
        poolId: pool?.id,
        state: "offsite",
        location: "Vault B",
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    await hub.ctx.db.insert(backupSetSegments).values({
      setId: sets[0] as number,
      sequence: 0,
      tapeId: tape?.id as number,
      fileNumber: 1,
      complete: true,
      createdAt: now,
    });
    const res = await hub.request("/api/v1/restores/plan", {
      method: "POST",
      token,
      json: { setId: sets[0], paths: ["/home/alice"] },
    });
    expect(res.status).toBe(200);
    const plan = (await res.json()) as {
      files: number;
      entries: number;
      bytes: number;
      tapes: { barcode: string; location: string; instruction: string }[];
    };
    expect(plan).toMatchObject({ files: 6, entries: 7, bytes: 60 });
    expect(plan.tapes).toEqual([expect.objectContaining({ barcode: "L00003L9", location: "offsite" })]);
    expect(plan.tapes[0]?.instruction).toBe(
      "Fetch L00003L9 from pool Weekly from offsite storage (Vault B), then insert it into a drive",
    );

    const latest = (await (
      await hub.request("/api/v1/restores/plan", {
        method: "POST",
        token,
        json: { paths: ["home/bob/notes.txt"], asOf: "2026-01-15" },
      })
    ).json()) as { set: { id: number } };
    expect(latest.set.id).toBe(sets[0]);
  });
});

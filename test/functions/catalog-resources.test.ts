import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backupSetSegments, backupSets } from "../../functions/db/schema/index.ts";
import { createTestHub, errorOf, type TestHub } from "../helpers/hub.ts";

describe("pools, tapes, sources and jobs", () => {
  let hub: TestHub;
  let op: string;
  const post = async (path: string, json: unknown) => hub.request(path, { method: "POST", token: op, json });
  beforeAll(async () => {
    hub = await createTestHub();
    op = await hub.tokenFor("operator");
  });
  afterAll(() => hub.close());

  it("create, read, change, list with pagination and delete a pool", async () => {
    const created = await post("/api/v1/pools", { name: "Weekly", retentionDays: 28 });
    expect(created.status).toBe(201);
    const pool = (await created.json()) as { id: number; name: string; allowReuse: boolean };
    expect(pool).toMatchObject({ name: "Weekly", allowReuse: true });
    const patched = await hub.request(`/api/v1/pools/${pool.id}`, {
      method: "PATCH",
      token: op,
      json: { description: "Fridays" },
    });
    expect(await patched.json()).toMatchObject({ description: "Fridays", retentionDays: 28 });
    for (const name of ["A", "B", "C"]) await post("/api/v1/pools", { name });
    const first = await hub.requestJson<{
      items: { name: string }[];
      nextCursor: number;
    }>("/api/v1/pools?limit=2", { token: op });
    const second = await hub.requestJson<{ items: { name: string }[]; nextCursor: number | null }>(
      `/api/v1/pools?limit=2&cursor=${first.nextCursor}`,
      { token: op },
    );
    expect([...first.items, ...second.items].map((p) => p.name)).toEqual(["Weekly", "A", "B", "C"]);
    expect(second.nextCursor).toBeNull();
    expect((await post("/api/v1/pools", { name: "Weekly" })).status).toBe(409);
    expect((await hub.request(`/api/v1/pools/${pool.id}`, { method: "DELETE", token: op })).status).toBe(204);
    expect((await hub.request(`/api/v1/pools/${pool.id}`, { token: op })).status).toBe(404);
  });

  it("normalise barcodes, refuse duplicates, and filter tapes by pool, state and barcode", async () => {
    const pool = (await (await post("/api/v1/pools", { name: "Tapes" })).json()) as { id: number };
    expect(
      (await post("/api/v1/tapes", { barcode: "l00001l9", poolId: pool.id, generation: "LTO-9" })).status,
    ).toBe(201);
    await post("/api/v1/tapes", { barcode: "L00002L9", poolId: pool.id });
    await post("/api/v1/tapes", { barcode: "X00003L8" });
    expect((await post("/api/v1/tapes", { barcode: "L00001L9" })).status).toBe(409);
    expect((await post("/api/v1/tapes", { barcode: "bad barcode!" })).status).toBe(400);
    expect((await post("/api/v1/tapes", { barcode: "L00009L9", poolId: 99999 })).status).toBe(404);
    const list = async (q: string) =>
      (
        await hub.requestJson<{
          items: { barcode: string }[];
        }>(`/api/v1/tapes?${q}`, { token: op })
      ).items.map((t) => t.barcode);
    expect(await list(`poolId=${pool.id}`)).toEqual(["L00001L9", "L00002L9"]);
    expect(await list("barcode=x0")).toEqual(["X00003L8"]);
    expect(await list("state=blank")).toHaveLength(3);
  });

  it("refuse to delete a tape that holds backup data", async () => {
    const tape = (await (await post("/api/v1/tapes", { barcode: "DATA01L9" })).json()) as { id: number };
    const now = new Date();
    const [set] = await hub.ctx.db
      .insert(backupSets)
      .values({
        uuid: crypto.randomUUID(),
        backupType: "full",
        compression: "none",
        encryption: "none",
        blockSize: 65536,
        startedAt: now,
        createdAt: now,
      })
      .returning();
    await hub.ctx.db
      .insert(backupSetSegments)
      .values({ setId: set?.id as number, sequence: 0, tapeId: tape.id, fileNumber: 1, createdAt: now });
    const res = await hub.request(`/api/v1/tapes/${tape.id}`, { method: "DELETE", token: op });
    expect(res.status).toBe(409);
    expect((await errorOf(res)).message).toMatch(/DATA01L9 holds 1 backup set segment/);
  });

  it("validate source paths: absolute, no '..'", async () => {
    expect(
      (await post("/api/v1/sources", { name: "Home", kind: "local", paths: ["/srv/home"] })).status,
    ).toBe(201);
    for (const paths of [["relative/path"], ["/srv/../etc"], []]) {
      const res = await post("/api/v1/sources", { name: `bad ${paths.join()}`, kind: "local", paths });
      expect(res.status, JSON.stringify(paths)).toBe(400);
    }
  });

  it("jobs need an existing source and pool, a valid schedule, and a key when encrypted; a job keeps its source alive", async () => {
    const source = (await (
      await post("/api/v1/sources", { name: "Share", kind: "nfs", paths: ["/mnt/nfs/share"] })
    ).json()) as { id: number };
    const pool = (await (await post("/api/v1/pools", { name: "Jobs pool" })).json()) as { id: number };
    const ok = await post("/api/v1/jobs", {
      name: "Nightly",
      sourceId: source.id,
      poolId: pool.id,
      schedule: "0 2 * * *",
    });
    expect(ok.status).toBe(201);
    const job = (await ok.json()) as { id: number; nextRunAt: string; compression: string };
    expect(new Date(job.nextRunAt).getUTCHours()).toBeTypeOf("number");
    expect(job.compression).toBe("zstd");
    expect(
      (
        await post("/api/v1/jobs", {
          name: "Bad cron",
          sourceId: source.id,
          poolId: pool.id,
          schedule: "every day",
        })
      ).status,
    ).toBe(400);
    expect((await post("/api/v1/jobs", { name: "No source", sourceId: 9999, poolId: pool.id })).status).toBe(
      400,
    );
    expect(
      (
        await post("/api/v1/jobs", {
          name: "Enc",
          sourceId: source.id,
          poolId: pool.id,
          encryption: "aes-256-gcm",
        })
      ).status,
    ).toBe(400);
    const del = await hub.request(`/api/v1/sources/${source.id}`, { method: "DELETE", token: op });
    expect(del.status).toBe(409);
  });
});

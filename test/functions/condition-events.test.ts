import { eq, inArray } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CATALOG_BACKUP_MAX_AGE_DAYS } from "../../contracts/catalog-backup.ts";
import { backupSets, encryptionKeys, events, jobs, pools } from "../../functions/db/schema/index.ts";
import { schedulerTick } from "../../functions/services/runs/scheduler-tick.ts";
import { createTestHub, type TestHub } from "../helpers/hub.ts";

const DAY_MS = 24 * 3600_000;
const FINGERPRINT = "ab".repeat(32);

describe("conditions the scheduler tick tells once when they start and once when they end", () => {
  let hub: TestHub;
  beforeEach(async () => {
    hub = await createTestHub();
  });
  afterEach(async () => {
    await hub.close();
  });

  const tick = () => schedulerTick(hub.ctx, hub.deps.logger);

  async function kinds(...of: string[]) {
    const rows = await hub.ctx.db.select().from(events).where(inArray(events.kind, of)).orderBy(events.id);
    return rows;
  }

  async function backupSet(values: Partial<typeof backupSets.$inferInsert>) {
    const now = hub.ctx.now();
    const [row] = await hub.ctx.db
      .insert(backupSets)
      .values({
        uuid: crypto.randomUUID(),
        backupType: "full",
        state: "complete",
        compression: "zstd",
        encryption: "none",
        blockSize: 262144,
        startedAt: now,
        finishedAt: now,
        createdAt: now,
        ...values,
      })
      .returning();
    if (!row) throw new Error("no set");
    return row;
  }

  it("warns once of a pool whose retention is shorter than a job's full cycle, and says once when it is fixed", async () => {
    const now = hub.ctx.now();
    const [pool] = await hub.ctx.db
      .insert(pools)
      .values({ name: "Short <b>pool</b>", retentionDays: 3, createdAt: now, updatedAt: now })
      .returning();
    if (!pool) throw new Error("no pool");
    await hub.ctx.db.insert(jobs).values({
      name: "nightly-incr",
      poolId: pool.id,
      backupType: "incremental",
      schedule: "0 1 * * *",
      fullSchedule: "0 2 * * 0",
      enabled: false,
      createdAt: now,
      updatedAt: now,
    });
    await tick();
    await tick();
    const raised = await kinds("retention.warning", "retention.resolved");
    expect(raised.map((e) => e.kind)).toEqual(["retention.warning"]);
    expect(raised[0]?.poolId).toBe(pool.id);
    expect(raised[0]?.text).toContain("Short <b>pool</b>");
    expect(raised[0]?.text).toContain("shorter than job nightly-incr's full cycle of 7 day(s)");

    await hub.ctx.db.update(pools).set({ retentionDays: 30 }).where(eq(pools.id, pool.id));
    await tick();
    await tick();
    const after = await kinds("retention.warning", "retention.resolved");
    expect(after.map((e) => e.kind)).toEqual(["retention.warning", "retention.resolved"]);
    expect(after[1]?.poolId).toBe(pool.id);

    // The same condition again later is news again, once.
    await hub.ctx.db.update(pools).set({ retentionDays: 2 }).where(eq(pools.id, pool.id));
    await tick();
    await tick();
    expect((await kinds("retention.warning", "retention.resolved")).map((e) => e.kind)).toEqual([
      "retention.warning",
      "retention.resolved",
      "retention.warning",
    ]);
  });

  it("tells once that sets cannot be restored because the hub lost their key, and once when the key is back", async () => {
    const set = await backupSet({ encryption: "aes-256-gcm", encryptionKeyFingerprint: FINGERPRINT });
    // A set encrypted with a key the hub holds, and an expired one, are no news.
    await backupSet({
      encryption: "aes-256-gcm",
      encryptionKeyFingerprint: "cd".repeat(32),
      state: "expired",
    });
    await tick();
    await tick();
    const raised = await kinds("key.missing", "key.back");
    expect(raised.map((e) => e.kind)).toEqual(["key.missing"]);
    expect(raised[0]?.text).toContain(`1 backup set (#${set.id}) cannot be restored or verified here`);
    expect(raised[0]?.text).toContain(FINGERPRINT.slice(0, 16));

    await hub.ctx.db.insert(encryptionKeys).values({
      name: "imported",
      fingerprint: FINGERPRINT,
      wrappedKey: "wrapped",
      createdAt: hub.ctx.now(),
    });
    await tick();
    await tick();
    expect((await kinds("key.missing", "key.back")).map((e) => e.kind)).toEqual(["key.missing", "key.back"]);
  });

  it("tells once that no catalog backup completed for too long, and once when one does", async () => {
    const now = hub.ctx.now().getTime();
    // A new hub with only fresh backups is not nagged.
    await backupSet({ finishedAt: new Date(now - DAY_MS) });
    await tick();
    expect(await kinds("catalog-backup.missing")).toHaveLength(0);

    await backupSet({ finishedAt: new Date(now - (CATALOG_BACKUP_MAX_AGE_DAYS + 1) * DAY_MS) });
    await tick();
    await tick();
    const raised = await kinds("catalog-backup.missing", "catalog-backup.ok");
    expect(raised.map((e) => e.kind)).toEqual(["catalog-backup.missing"]);
    expect(raised[0]?.text).toContain("No catalog backup has ever completed");

    const [job] = await hub.ctx.db
      .insert(jobs)
      .values({ name: "catalog", kind: "catalog", createdAt: hub.ctx.now(), updatedAt: hub.ctx.now() })
      .returning();
    await backupSet({ jobId: job?.id, finishedAt: hub.ctx.now() });
    await tick();
    await tick();
    expect((await kinds("catalog-backup.missing", "catalog-backup.ok")).map((e) => e.kind)).toEqual([
      "catalog-backup.missing",
      "catalog-backup.ok",
    ]);

    // That backup ages past the limit on the hub's clock: missing again, once, naming its date.
    hub.advanceClock((CATALOG_BACKUP_MAX_AGE_DAYS + 1) * DAY_MS);
    await tick();
    await tick();
    const again = await kinds("catalog-backup.missing", "catalog-backup.ok");
    expect(again.map((e) => e.kind)).toEqual([
      "catalog-backup.missing",
      "catalog-backup.ok",
      "catalog-backup.missing",
    ]);
    expect(again[2]?.text).toContain("No catalog backup has completed since");
  });
});

import { and, eq } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";
import {
  agents,
  auditLogs,
  backupSetSegments,
  catalogEntries,
  drives,
  events,
  jobRuns,
  jobs,
  mediaSets,
  tapes,
  workOrders,
} from "../../functions/db/schema/index.ts";
import { needsOperator } from "../../functions/services/attention/needs-operator.ts";
import { expireMediaSets } from "../../functions/services/media-sets/expire-media-sets.ts";
import { offsiteRotation } from "../../functions/services/media-sets/offsite-rotation.ts";
import { createPool } from "../../functions/services/pools/create-pool.ts";
import { planPreflight } from "../../functions/services/preflight/plan-preflight.ts";
import { startRestore } from "../../functions/services/restores/start-restore.ts";
import { dispatchQueuedRuns } from "../../functions/services/runs/dispatch-runs.ts";
import { schedulerTick } from "../../functions/services/runs/scheduler-tick.ts";
import { startVerify } from "../../functions/services/verifies/start-verify.ts";
import { fileEntry, insertChangerLibrary, insertLocalSource, insertSet } from "../helpers/catalog-rows.ts";
import { hubWithAdminForEachTest, type TestHub } from "../helpers/hub.ts";

const DAY = 24 * 3600_000;

describe("offsite rotation, lifecycle moves by hand, and reads that wait for their tape", () => {
  let hub: TestHub;
  let admin: string;
  hubWithAdminForEachTest({}, (fixture) => ({ hub, admin } = fixture));

  const now = () => hub.ctx.now();
  let changerId: number;
  let jobId: number;
  let poolId: number;

  beforeEach(async () => {
    const t = now();
    ({ changerId } = await insertChangerLibrary(hub.ctx.db, t, 2));
    const pool = await createPool(hub.ctx, {
      name: "Rotating",
      retentionDays: 28,
      allowReuse: true,
      allocation: "always",
      retention: "timespan",
      generation: "LTO-9",
      preflightLeadMinutes: 360,
      offsiteRotation: "closed-with-full",
    });
    poolId = pool.id;
    const src = await insertLocalSource(hub.ctx.db, "Share", t);
    const [job] = await hub.ctx.db
      .insert(jobs)
      .values({ name: "Nightly", sourceId: src.id, poolId, createdAt: t, updatedAt: t })
      .returning();
    jobId = job?.id as number;
  });

  async function tape(barcode: string, fields: Partial<typeof tapes.$inferInsert> = {}) {
    const t = now();
    const [row] = await hub.ctx.db
      .insert(tapes)
      .values({ barcode, generation: "LTO-9", poolId, createdAt: t, updatedAt: t, ...fields })
      .returning();
    return row as typeof tapes.$inferSelect;
  }

  /** A closed media set with one complete set of `backupType` on each of `barcodes`. */
  async function closedSet(barcodes: string[], backupType: "full" | "incremental", lastWrite: Date) {
    const [set] = await hub.ctx.db
      .insert(mediaSets)
      .values({
        poolId,
        state: "closed",
        startedAt: new Date(lastWrite.getTime() - DAY),
        lastWrittenAt: lastWrite,
        closedAt: lastWrite,
        expiresAt: new Date(lastWrite.getTime() + 28 * DAY),
      })
      .returning();
    const mediaSetId = set?.id as number;
    const rows = [];
    for (const [i, barcode] of barcodes.entries()) {
      const row = await tape(barcode, {
        state: "full",
        uuid: `u-${barcode}`,
        label: barcode,
        mediaSetId,
        changerId,
        slot: i + 1,
        usedBytes: 1000,
        fileCount: 3,
        lastWrittenAt: lastWrite,
      });
      const setId = await insertSet(hub, { jobId, poolId, mediaSetId, backupType, startedAt: lastWrite });
      await hub.ctx.db
        .insert(backupSetSegments)
        .values({ setId, sequence: 0, tapeId: row.id, fileNumber: 1, complete: true, createdAt: lastWrite });
      await hub.ctx.db.insert(catalogEntries).values(fileEntry(setId, "srv", "a.txt"));
      rows.push({ tape: row, setId });
    }
    return { mediaSetId, rows };
  }

  /** A session on the hub's clock as it is now (tests move the clock past a session's lifetime). */
  const mark = async (mediaSetId: number, json: Record<string, unknown>) =>
    hub.request(`/api/v1/media-sets/${mediaSetId}/location`, {
      method: "POST",
      token: await hub.freshTokenFor("admin"),
      json,
    });

  describe("offsite rotation", () => {
    it("asks a closed media set holding a full out, never writes it while away (dispatch and pre-flight say so), asks it back when its retention ends, and returns it expired", async () => {
      const closedAt = now();
      const { mediaSetId } = await closedSet(["TB0003L9", "TB0004L9"], "full", closedAt);
      const items = await offsiteRotation(hub.ctx);
      expect(items.map((i) => i.text)).toEqual([
        `Take media set #${mediaSetId} of pool Rotating offsite (TB0003L9, TB0004L9): it was closed on ${closedAt.toISOString().slice(0, 10)}`,
      ]);
      expect((await needsOperator(hub.ctx)).filter((i) => i.kind === "offsite").map((i) => i.text)).toEqual(
        items.map((i) => i.text),
      );
      // The tick raises the event once, however often it runs.
      await schedulerTick(hub.ctx, hub.deps.logger);
      await schedulerTick(hub.ctx, hub.deps.logger);
      const raised = await hub.ctx.db.query.events.findMany({ where: eq(events.kind, "offsite.rotation") });
      expect(raised.map((e) => e.text)).toEqual(items.map((i) => i.text));

      expect((await mark(mediaSetId, { to: "offsite" })).status).toBe(409);
      const marked = await mark(mediaSetId, { to: "offsite", location: "Vault <B>" });
      expect(marked.status, await marked.clone().text()).toBe(200);
      const away = await hub.ctx.db.query.tapes.findMany({ where: eq(tapes.mediaSetId, mediaSetId) });
      expect(away.map((t) => [t.state, t.location])).toEqual([
        ["offsite", "Vault <B>"],
        ["offsite", "Vault <B>"],
      ]);
      const audited = await hub.ctx.db.query.auditLogs.findMany({
        where: eq(auditLogs.action, "tape.state"),
      });
      expect(audited.filter((a) => a.target === "tape:TB0003L9").map((a) => a.actor)).toContain("admin");
      expect(await offsiteRotation(hub.ctx)).toEqual([]);

      // A run of the pool has nothing to write: it says the away tapes are not written.
      await hub.ctx.db.insert(jobRuns).values({
        jobId,
        kind: "backup",
        state: "queued",
        backupType: "full",
        triggeredBy: "t",
        queuedAt: now(),
      });
      await dispatchQueuedRuns(hub.ctx);
      const run = await hub.ctx.db.query.jobRuns.findFirst({ where: eq(jobRuns.jobId, jobId) });
      expect(run?.agentId).toBeNull();
      expect(run?.operatorMessage).toContain(
        "not written while away: TB0003L9 (offsite at Vault <B>), TB0004L9 (offsite at Vault <B>)",
      );
      const check = await planPreflight(hub.ctx, jobId, new Date(now().getTime() + 3600_000));
      expect(check.ready).toBe(false);
      expect(check.problem).toContain("not written while away: TB0003L9 (offsite at Vault <B>)");
      expect(check.tapes.filter((t) => t.state === "offsite").every((t) => !t.ready)).toBe(true);
      await hub.ctx.db.delete(jobRuns);

      // Retention over: the set expires while away and is asked back.
      hub.advanceClock(29 * DAY);
      await expireMediaSets(hub.ctx);
      expect(
        (await hub.ctx.db.query.tapes.findMany({ where: eq(tapes.mediaSetId, mediaSetId) })).map(
          (t) => t.state,
        ),
      ).toEqual(["offsite", "offsite"]);
      expect((await offsiteRotation(hub.ctx)).map((i) => i.text)).toEqual([
        `Bring back media set #${mediaSetId} of pool Rotating (TB0003L9, TB0004L9) from Vault <B>: its retention ended, so its tapes can be reused`,
      ]);
      expect((await mark(mediaSetId, { to: "returned" })).status).toBe(200);
      const back = await hub.ctx.db.query.tapes.findMany({ where: eq(tapes.mediaSetId, mediaSetId) });
      expect(back.map((t) => [t.state, t.location])).toEqual([
        ["expired", null],
        ["expired", null],
      ]);
      expect(await offsiteRotation(hub.ctx)).toEqual([]);
    });

    it("asks an incremental-only set out only when the pool rotates every closed set, and asks it back after the pool's days away, not a day before", async () => {
      const { mediaSetId } = await closedSet(["TB0005L9"], "incremental", now());
      expect(await offsiteRotation(hub.ctx)).toEqual([]);
      await hub.request(`/api/v1/pools/${poolId}`, {
        method: "PATCH",
        token: admin,
        json: { offsiteRotation: "closed", offsiteReturnDays: 7 },
      });
      expect((await offsiteRotation(hub.ctx)).map((i) => i.direction)).toEqual(["out"]);
      expect((await mark(mediaSetId, { to: "offsite", location: "Vault" })).status).toBe(200);
      hub.advanceClock(6 * DAY);
      expect(await offsiteRotation(hub.ctx)).toEqual([]);
      hub.advanceClock(DAY);
      expect((await offsiteRotation(hub.ctx)).map((i) => i.text)).toEqual([
        `Bring back media set #${mediaSetId} of pool Rotating (TB0005L9) from Vault: it has been offsite 7 days (the pool asks back after 7)`,
      ]);
      // Returned before retention ends, it holds retained sets: full, never appended to.
      expect((await mark(mediaSetId, { to: "returned" })).status).toBe(200);
      expect((await hub.ctx.db.query.tapes.findFirst({ where: eq(tapes.barcode, "TB0005L9") }))?.state).toBe(
        "full",
      );
      // Back once, it is not asked out again.
      expect(await offsiteRotation(hub.ctx)).toEqual([]);
    });

    it("an exported media set is never asked back, and a tape seen in a storage slot again is returned by the inventory", async () => {
      const { mediaSetId } = await closedSet(["TB0006L9"], "full", now());
      expect((await mark(mediaSetId, { to: "exported", location: "Customer archive" })).status).toBe(200);
      hub.advanceClock(60 * DAY);
      await expireMediaSets(hub.ctx);
      expect(await offsiteRotation(hub.ctx)).toEqual([]);
      // An operator puts it into the library by hand; the next heartbeat reports it in slot 3.
      const { syncHardware } = await import("../../functions/services/agents/sync-hardware.ts");
      await syncHardware(
        hub.ctx,
        "a1",
        [],
        [
          {
            devicePath: "vtl:changer",
            name: "Changer",
            slots: [{ slot: 3, barcode: "TB0006L9", importExport: false, capacityBytes: null }],
          },
        ],
      );
      const back = await hub.ctx.db.query.tapes.findFirst({ where: eq(tapes.barcode, "TB0006L9") });
      expect(back?.state).toBe("expired");
    });
  });

  describe("lifecycle moves by hand", () => {
    it("refuses what would lose data or put a cleaning cartridge in a pool, and audits what it allows", async () => {
      const { mediaSetId, rows } = await closedSet(["TB0007L9"], "full", now());
      const id = rows[0]?.tape.id as number;
      const patch = (json: Record<string, unknown>, tapeId = id) =>
        hub.request(`/api/v1/tapes/${tapeId}`, { method: "PATCH", token: admin, json });
      expect((await patch({ state: "blank" })).status).toBe(409);
      expect((await patch({ state: "cleaning" })).status).toBe(409);
      expect((await patch({ state: "active" })).status).toBe(409);
      await hub.ctx.db.update(tapes).set({ driveId: 1, slot: null }).where(eq(tapes.id, id));
      const loaded = await mark(mediaSetId, { to: "offsite", location: "Vault" });
      expect(loaded.status).toBe(409);
      expect(await loaded.text()).toContain("Tape TB0007L9 is in a drive: eject it first");
      expect((await patch({ state: "offsite", location: "Vault" })).status).toBe(409);
      await hub.ctx.db.update(tapes).set({ driveId: null, slot: 1 }).where(eq(tapes.id, id));
      expect((await patch({ state: "retired" })).status).toBe(200);
      const moves = await hub.ctx.db.query.auditLogs.findMany({
        where: and(eq(auditLogs.action, "tape.state"), eq(auditLogs.target, "tape:TB0007L9")),
      });
      expect(moves.map((m) => (m.details as { to: string }).to)).toEqual(["retired"]);

      const cln = await tape("CLN001L1", { poolId: null, state: "cleaning" });
      expect((await patch({ poolId }, cln.id)).status).toBe(409);
      const created = await hub.request("/api/v1/tapes", {
        method: "POST",
        token: admin,
        json: { barcode: "CLN002L1", poolId },
      });
      expect(created.status).toBe(409);
      // An unlabelled blank cartridge may be declared a cleaning one: it leaves its pool.
      const blank = await tape("TB0099L9", { state: "blank" });
      expect((await patch({ state: "cleaning" }, blank.id)).status).toBe(200);
      expect((await hub.ctx.db.query.tapes.findFirst({ where: eq(tapes.id, blank.id) }))?.poolId).toBeNull();
    });

    it("labelling is refused, even with force, for an exported tape whose set expired and for a cartridge declared a cleaning one", async () => {
      const { mediaSetId, rows } = await closedSet(["TB0010L9"], "full", now());
      expect((await mark(mediaSetId, { to: "exported", location: "Archive" })).status).toBe(200);
      hub.advanceClock(60 * DAY);
      await expireMediaSets(hub.ctx);
      const label = async (tapeId: number) =>
        hub.request(`/api/v1/tapes/${tapeId}/label`, {
          method: "POST",
          token: await hub.freshTokenFor("admin"),
          json: { poolId, force: true },
        });
      const exported = await label(rows[0]?.tape.id as number);
      expect(exported.status).toBe(409);
      expect(await exported.text()).toContain("Tape TB0010L9 is exported");
      const declared = await tape("TB0011L9", { state: "cleaning", poolId: null });
      const cleaning = await label(declared.id);
      expect(cleaning.status).toBe(409);
      expect(await cleaning.text()).toContain("TB0011L9 is a cleaning cartridge");
    });
  });

  describe("restores and verifies wait for their tape", () => {
    it("a restore whose tape is not in the library waits, says where to insert it on the strip and as an event, and starts once the tape is in a slot", async () => {
      const { rows } = await closedSet(["TB0008L9"], "full", now());
      const setId = rows[0]?.setId as number;
      await hub.ctx.db
        .update(tapes)
        .set({ changerId: null, slot: null, state: "offsite", location: "Vault" })
        .where(eq(tapes.barcode, "TB0008L9"));
      const { run } = await startRestore(
        hub.ctx,
        { setId, paths: [], destination: "/restore", overwrite: "skip" },
        "test",
      );
      expect(run).toMatchObject({ state: "queued", agentId: null, driveId: null, currentTapeId: null });
      const words =
        "Waiting for TB0008L9: it is offsite at Vault: bring it back and insert it into Changer of agent tape-host";
      expect(run.operatorMessage).toBe(words);
      expect(await hub.ctx.db.query.workOrders.findMany()).toEqual([]);
      const strip = await needsOperator(hub.ctx);
      expect(strip.find((i) => i.href === `/runs/${run.id}`)?.text).toBe(
        `Nightly (run #${run.id}) is waiting for TB0008L9: it is offsite at Vault: bring it back and insert it into Changer of agent tape-host`,
      );
      await dispatchQueuedRuns(hub.ctx);
      const needed = await hub.ctx.db.query.events.findMany({ where: eq(events.kind, "tape.needed") });
      expect(needed.map((e) => e.runId)).toEqual([run.id]);

      // The tape is imported: in slot 2 of the changer; the next dispatch places the restore.
      await hub.ctx.db
        .update(tapes)
        .set({ changerId, slot: 2, state: "full", location: null })
        .where(eq(tapes.barcode, "TB0008L9"));
      await dispatchQueuedRuns(hub.ctx);
      const placed = await hub.ctx.db.query.jobRuns.findFirst({ where: eq(jobRuns.id, run.id) });
      expect(placed).toMatchObject({ agentId: "a1", pendingOrder: null });
      expect(placed?.currentTapeId).toBe(rows[0]?.tape.id);
      const orders = await hub.ctx.db.query.workOrders.findMany({ where: eq(workOrders.runId, run.id) });
      expect(
        orders.map((o) => [o.kind, (o.payload as { drive: { devicePath: string } }).drive.devicePath]),
      ).toEqual([["restore", "vtl:drive0"]]);
      expect((await needsOperator(hub.ctx)).some((i) => i.href === `/runs/${run.id}`)).toBe(false);
    });

    it("a verify whose tape is in the library of an agent that went quiet says so, and starts once that agent is back", async () => {
      const { rows } = await closedSet(["TB0012L9"], "full", now());
      const t = now();
      await hub.ctx.db.insert(agents).values({
        id: "a2",
        name: "other-host",
        state: "online",
        publicKey: "{}",
        lastSeenAt: t,
        createdAt: t,
        updatedAt: t,
      });
      await hub.ctx.db
        .update(agents)
        .set({ lastSeenAt: new Date(t.getTime() - DAY) })
        .where(eq(agents.id, "a1"));
      const { run } = await startVerify(hub.ctx, rows[0]?.setId as number, "test");
      expect(run.operatorMessage).toBe(
        "Waiting for TB0012L9: it is in changer slot 1 of an agent that is offline; start that drive-agent",
      );
      await hub.ctx.db.update(agents).set({ lastSeenAt: now() }).where(eq(agents.id, "a1"));
      await dispatchQueuedRuns(hub.ctx);
      expect((await hub.ctx.db.query.jobRuns.findFirst({ where: eq(jobRuns.id, run.id) }))?.agentId).toBe(
        "a1",
      );
    });

    it("a tape on a shelf goes to a drive without a changer, which asks for it; an offsite one waits even then", async () => {
      await hub.ctx.db.insert(drives).values({
        agentId: "a1",
        name: "Lone drive",
        devicePath: "/dev/nst9",
        state: "idle",
        createdAt: now(),
      });
      const { rows } = await closedSet(["TB0013L9", "TB0014L9"], "full", now());
      await hub.ctx.db
        .update(tapes)
        .set({ changerId: null, slot: null })
        .where(eq(tapes.barcode, "TB0013L9"));
      await hub.ctx.db
        .update(tapes)
        .set({ changerId: null, slot: null, state: "offsite", location: "Vault" })
        .where(eq(tapes.barcode, "TB0014L9"));
      const shelf = await startVerify(hub.ctx, rows[0]?.setId as number, "test");
      const [order] = await hub.ctx.db.query.workOrders.findMany({
        where: eq(workOrders.runId, shelf.run.id),
      });
      expect((order?.payload as { drive?: { devicePath: string } } | undefined)?.drive?.devicePath).toBe(
        "/dev/nst9",
      );
      await hub.ctx.db
        .update(jobRuns)
        .set({ state: "completed", finishedAt: now() })
        .where(eq(jobRuns.id, shelf.run.id));
      await hub.ctx.db.update(workOrders).set({ state: "done" });
      const away = await startVerify(hub.ctx, rows[1]?.setId as number, "test");
      expect(away.run.agentId).toBeNull();
      expect(away.run.operatorMessage).toContain("Waiting for TB0014L9: it is offsite at Vault");
    });

    it("two verifies of sets on one cartridge: one reserves it, the other waits naming it, and starts when the first ends", async () => {
      const { rows } = await closedSet(["TB0009L9"], "full", now());
      const tapeId = rows[0]?.tape.id as number;
      const second = await insertSet(hub, { jobId, poolId, startedAt: now() });
      await hub.ctx.db
        .insert(backupSetSegments)
        .values({ setId: second, sequence: 0, tapeId, fileNumber: 3, complete: true, createdAt: now() });
      await hub.ctx.db.insert(catalogEntries).values(fileEntry(second, "srv", "b.txt"));
      const first = await startVerify(hub.ctx, rows[0]?.setId as number, "test");
      const other = await startVerify(hub.ctx, second, "test");
      expect(first.run.agentId).toBe("a1");
      expect(other.run.agentId).toBeNull();
      expect(other.run.operatorMessage).toBe(
        `Waiting for TB0009L9: verify run #${first.run.id} of job Nightly has it reserved; this run starts when it is done`,
      );
      await dispatchQueuedRuns(hub.ctx);
      expect(await hub.ctx.db.query.workOrders.findMany()).toHaveLength(1);
      await hub.ctx.db
        .update(jobRuns)
        .set({ state: "completed", finishedAt: now() })
        .where(eq(jobRuns.id, first.run.id));
      await hub.ctx.db.update(workOrders).set({ state: "done" });
      await dispatchQueuedRuns(hub.ctx);
      const started = await hub.ctx.db.query.jobRuns.findFirst({ where: eq(jobRuns.id, other.run.id) });
      expect(started).toMatchObject({ agentId: "a1", currentTapeId: tapeId, pendingOrder: null });
    });
  });
});

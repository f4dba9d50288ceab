import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  auditLogs,
  backupSetSegments,
  backupSets,
  catalogEntries,
  drives,
  events,
  jobRuns,
  jobs,
  mediaSets,
  tapes,
} from "../../functions/db/schema/index.ts";
import { AppError } from "../../functions/errors.ts";
import { needsOperator } from "../../functions/services/attention/needs-operator.ts";
import { expireMediaSets } from "../../functions/services/media-sets/expire-media-sets.ts";
import { touchMediaSet } from "../../functions/services/media-sets/touch-media-set.ts";
import { createPool } from "../../functions/services/pools/create-pool.ts";
import { describePolicy } from "../../functions/services/pools/pool-policy.ts";
import { planPreflight } from "../../functions/services/preflight/plan-preflight.ts";
import { refreshPreflights } from "../../functions/services/preflight/refresh-preflights.ts";
import { retentionCalendar } from "../../functions/services/retention/retention-calendar.ts";
import { dispatchQueuedRuns } from "../../functions/services/runs/dispatch-runs.ts";
import { requestLabel } from "../../functions/services/tapes/label-tape.ts";
import { reuseRefusal } from "../../functions/services/tapes/reuse-refusal.ts";
import { insertChangerLibrary, insertLocalSource } from "../helpers/catalog-rows.ts";
import { createTestHub, type TestHub } from "../helpers/hub.ts";

const DAY = 24 * 3600_000;

describe("media lifecycle: pool policy, reuse check, expiry, calendar, pre-flight, reservation", () => {
  let hub: TestHub;
  beforeEach(async () => {
    hub = await createTestHub();
  });
  afterEach(() => hub.close());

  const now = () => hub.ctx.now();
  const ago = (days: number) => new Date(now().getTime() - days * DAY);

  async function pool(extra: Partial<Parameters<typeof createPool>[1]> = {}) {
    return createPool(hub.ctx, {
      name: `P${Math.random().toString(36).slice(2, 7)}`,
      retentionDays: 28,
      allowReuse: true,
      allocation: "calendar",
      allocationCalendar: "0 21 * * 0",
      retention: "timespan",
      preflightLeadMinutes: 360,
      generation: "LTO-9",
      ...extra,
    });
  }

  /** One agent (online) with a changer and `driveCount` drives. */
  const library = (driveCount = 1) => insertChangerLibrary(hub.ctx.db, now(), driveCount);

  /** A full backup of the job, queued at `at`. */
  async function queueFull(jobId: number, at: Date) {
    await hub.ctx.db
      .insert(jobRuns)
      .values({ jobId, kind: "backup", state: "queued", backupType: "full", triggeredBy: "t", queuedAt: at });
  }

  async function tape(barcode: string, fields: Partial<typeof tapes.$inferInsert> = {}) {
    const t = now();
    const [row] = await hub.ctx.db
      .insert(tapes)
      .values({ barcode, generation: "LTO-9", createdAt: t, updatedAt: t, ...fields })
      .returning();
    return row as typeof tapes.$inferSelect;
  }

  async function mediaSet(
    poolId: number,
    state: "open" | "closed" | "expired",
    lastWrite: Date,
    expiresAt: Date | null,
  ) {
    const [row] = await hub.ctx.db
      .insert(mediaSets)
      .values({
        poolId,
        state,
        startedAt: new Date(lastWrite.getTime() - 6 * DAY),
        lastWrittenAt: lastWrite,
        expiresAt,
      })
      .returning();
    return row as typeof mediaSets.$inferSelect;
  }

  async function job(poolId: number, extra: Partial<typeof jobs.$inferInsert> = {}) {
    const t = now();
    const src = await insertLocalSource(hub.ctx.db, `S${Math.random()}`, t);
    const [row] = await hub.ctx.db
      .insert(jobs)
      .values({
        name: `Nightly ${Math.random().toString(36).slice(2, 6)}`,
        sourceId: src.id,
        poolId,
        createdAt: t,
        updatedAt: t,
        ...extra,
      })
      .returning();
    return row as typeof jobs.$inferSelect;
  }

  async function set(
    jobId: number,
    poolId: number,
    mediaSetId: number | null,
    onTapes: number[],
    extra: Partial<typeof backupSets.$inferInsert> = {},
  ) {
    const t = now();
    const [row] = await hub.ctx.db
      .insert(backupSets)
      .values({
        uuid: crypto.randomUUID(),
        jobId,
        poolId,
        mediaSetId,
        backupType: "full",
        state: "complete",
        compression: "none",
        encryption: "none",
        blockSize: 65536,
        startedAt: t,
        finishedAt: t,
        createdAt: t,
        ...extra,
      })
      .returning();
    const s = row as typeof backupSets.$inferSelect;
    for (const [sequence, tapeId] of onTapes.entries())
      await hub.ctx.db
        .insert(backupSetSegments)
        .values({ setId: s.id, sequence, tapeId, fileNumber: 1, createdAt: t });
    return s;
  }

  describe("pool policy", () => {
    it("refuses a calendar allocation without a schedule and says retention and reuse in words", async () => {
      const admin = await hub.tokenFor("admin");
      const refused = await hub.request("/api/v1/pools", {
        method: "POST",
        token: admin,
        json: { name: "Weekly", allocation: "calendar" },
      });
      expect(refused.status).toBe(400);
      const bad = await hub.request("/api/v1/pools", {
        method: "POST",
        token: admin,
        json: { name: "Weekly", allocation: "sometimes" },
      });
      expect(bad.status).toBe(400);
      const p = await pool();
      const patched = await hub.request(`/api/v1/pools/${p.id}`, {
        method: "PATCH",
        token: admin,
        json: { allocationCalendar: null },
      });
      expect(patched.status, "a calendar pool keeps its calendar").toBe(400);
      const words = describePolicy(p);
      expect(words.allocation).toContain('"0 21 * * 0"');
      expect(words.retention).toContain("kept 4 weeks after its last write");
      expect(words.accepts).toBe("Accepts LTO-9 tapes.");
      expect(describePolicy({ ...p, retention: "keep" }).retention).toContain("kept forever");
    });
  });

  describe("the reuse check", () => {
    it("refuses a tape whose media set is still retained, naming it and its date", async () => {
      const p = await pool();
      const ms = await mediaSet(p.id, "closed", ago(3), new Date(now().getTime() + 25 * DAY));
      const t = await tape("TB0001L9", { poolId: p.id, state: "full", uuid: "u1", mediaSetId: ms.id });
      expect(await reuseRefusal(hub.ctx, t.id)).toMatch(
        new RegExp(`media set #${ms.id}, which is retained until \\d{4}-`),
      );
    });

    it("refuses a tape holding a set that is not expired, naming the set", async () => {
      const p = await pool();
      const j = await job(p.id);
      const t = await tape("TB0001L9", { poolId: p.id, state: "expired", uuid: "u1" });
      const s = await set(j.id, p.id, null, [t.id]);
      expect(await reuseRefusal(hub.ctx, t.id)).toContain(`holds 1 retained set(s): #${s.id} (${j.name}`);
    });

    it("refuses a tape whose expired full is the base of a retained incremental: reuse would break the chain", async () => {
      const p = await pool();
      const j = await job(p.id);
      const old = await mediaSet(p.id, "expired", ago(40), ago(12));
      const t1 = await tape("TB0001L9", { poolId: p.id, state: "expired", uuid: "u1", mediaSetId: old.id });
      const t2 = await tape("TB0002L9", { poolId: p.id, state: "full", uuid: "u2" });
      const full = await set(j.id, p.id, old.id, [t1.id], { state: "expired" });
      const inc = await set(j.id, p.id, null, [t2.id], { backupType: "incremental", baseSetId: full.id });
      expect(await reuseRefusal(hub.ctx, t1.id)).toBe(
        `Tape TB0001L9 holds set #${full.id}, the base of set #${inc.id} (${j.name}, ${inc.startedAt.toISOString().slice(0, 10)}), which is retained: reusing it would break that incremental chain`,
      );
    });

    it("refuses a tape whose expired set spans onto a tape that is still retained", async () => {
      const p = await pool();
      const j = await job(p.id);
      const old = await mediaSet(p.id, "expired", ago(40), ago(12));
      const kept = await mediaSet(p.id, "closed", ago(2), new Date(now().getTime() + 26 * DAY));
      const t1 = await tape("TB0001L9", { poolId: p.id, state: "expired", uuid: "u1", mediaSetId: old.id });
      const t2 = await tape("TB0002L9", { poolId: p.id, state: "full", uuid: "u2", mediaSetId: kept.id });
      const spanning = await set(j.id, p.id, old.id, [t1.id, t2.id], { state: "expired" });
      expect(await reuseRefusal(hub.ctx, t1.id)).toBe(
        `Set #${spanning.id} on tape TB0001L9 spans onto TB0002L9, which is retained: the tapes of one set are reused together`,
      );
    });

    it("refuses retired and offsite tapes, and lets a tape go whose media set and sets have all expired", async () => {
      const p = await pool();
      const j = await job(p.id);
      const old = await mediaSet(p.id, "expired", ago(40), ago(12));
      const t = await tape("TB0001L9", { poolId: p.id, state: "expired", uuid: "u1", mediaSetId: old.id });
      await set(j.id, p.id, old.id, [t.id], { state: "expired" });
      expect(await reuseRefusal(hub.ctx, t.id)).toBeNull();
      const away = await tape("TB0002L9", { poolId: p.id, state: "offsite" });
      expect(await reuseRefusal(hub.ctx, away.id)).toBe(
        "Tape TB0002L9 is offsite; only a tape in the library and in service is reused",
      );
    });

    it("a label request is refused for a tape holding a retained set, even with force", async () => {
      const p = await pool();
      const j = await job(p.id);
      await library();
      const t = await tape("TB0001L9", { poolId: p.id, state: "full", uuid: "u1", usedBytes: 1000 });
      await set(j.id, p.id, null, [t.id]);
      const refused = await requestLabel(hub.ctx, t.id, { force: true }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(AppError);
      expect((refused as AppError).message).toMatch(/holds 1 retained set\(s\).*; it may not be relabelled$/);
    });
  });

  describe("expiry on the tick", () => {
    it("expires a closed media set past its retention: its sets stay as history without entries, its tapes become expired, each step audited", async () => {
      const p = await pool();
      const j = await job(p.id);
      const ms = await mediaSet(p.id, "closed", ago(30), ago(2));
      const t = await tape("TB0001L9", { poolId: p.id, state: "full", uuid: "u1", mediaSetId: ms.id });
      const s = await set(j.id, p.id, ms.id, [t.id]);
      await hub.ctx.db.insert(catalogEntries).values(
        Array.from({ length: 30 }, (_, i) => ({
          setId: s.id,
          dir: "",
          name: `f${i}`,
          type: "file" as const,
          size: 1,
          mode: 420,
          uid: 0,
          gid: 0,
          mtime: 0,
          offset: i,
        })),
      );
      expect(await expireMediaSets(hub.ctx)).toEqual({ expired: [ms.id], held: [] });
      const after = await hub.ctx.db.query.backupSets.findFirst({ where: eq(backupSets.id, s.id) });
      expect(after?.state).toBe("expired");
      expect(after?.jobId).toBe(j.id);
      expect(await hub.ctx.db.select().from(catalogEntries).where(eq(catalogEntries.setId, s.id))).toEqual(
        [],
      );
      expect((await hub.ctx.db.query.tapes.findFirst({ where: eq(tapes.id, t.id) }))?.state).toBe("expired");
      const audit = (await hub.ctx.db.select().from(auditLogs)).map((a) => [a.action, a.target]);
      expect(audit).toEqual(
        expect.arrayContaining([
          ["media-set.expire", `media-set:${ms.id}`],
          ["tape.state", "tape:TB0001L9"],
        ]),
      );
    });

    it("a late write into a closed media set restarts its retention from that write, and a set still writing holds it", async () => {
      const p = await pool();
      const j = await job(p.id);
      const ms = await mediaSet(p.id, "closed", ago(30), ago(2));
      await set(j.id, p.id, ms.id, [], { state: "writing" });
      expect(await expireMediaSets(hub.ctx)).toEqual({ expired: [], held: [ms.id] });
      const at = now();
      await touchMediaSet(hub.ctx, ms.id, at);
      const after = await hub.ctx.db.query.mediaSets.findFirst({ where: eq(mediaSets.id, ms.id) });
      expect(after?.expiresAt?.getTime()).toBe(at.getTime() + 28 * DAY);
    });

    it("holds a media set past its retention while a retained incremental builds on it", async () => {
      const p = await pool();
      const j = await job(p.id);
      const ms = await mediaSet(p.id, "closed", ago(30), ago(2));
      const full = await set(j.id, p.id, ms.id, []);
      await set(j.id, p.id, null, [], { backupType: "incremental", baseSetId: full.id });
      expect(await expireMediaSets(hub.ctx)).toEqual({ expired: [], held: [ms.id] });
      const [cal] = await retentionCalendar(hub.ctx);
      expect(cal?.warnings.map((w) => w.kind)).toContain("reuse-would-break-chain");
    });
  });

  describe("pages", () => {
    it("the retention calendar and pools pages say policy, retention dates and warnings in words, names escaped", async () => {
      const p = await pool({ name: "<script>x</script>", retentionDays: 5 });
      await job(p.id, { backupType: "incremental", schedule: "0 22 * * *", fullSchedule: "0 22 * * 0" });
      const ms = await mediaSet(p.id, "closed", ago(1), new Date(now().getTime() + 4 * DAY));
      await tape("TB0001L9", {
        poolId: p.id,
        state: "full",
        uuid: "u1",
        mediaSetId: ms.id,
        capacityBytes: 1000,
        usedBytes: 250,
      });
      const token = await hub.tokenFor("read-only");
      const html = await (await hub.request("/retention", { token })).text();
      expect(html).not.toContain("<script>x</script>");
      expect(html).toContain("&lt;script&gt;x&lt;/script&gt;");
      expect(html).toContain("A media set is kept 5 days after its last write");
      expect(html).toMatch(/in media set #\d+, retained until \d{4}-\d\d-\d\d; reusable from then/);
      expect(html).toContain("shorter than job");
      const page = await (
        await hub.request(`/tapes/${(await hub.ctx.db.query.tapes.findFirst())?.id}`, { token })
      ).text();
      expect(page).toMatch(
        new RegExp(
          `Not reusable: Tape TB0001L9 belongs to media set #${ms.id}, which is retained until \\d{4}-`,
        ),
      );
      expect(page).toContain("<meter");
      const pools = await (await hub.request("/pools", { token })).text();
      expect(pools).toContain("Accepts LTO-9 tapes.");
      expect(pools).toContain(`#${ms.id}`);
    });
  });

  describe("the retention calendar's warnings", () => {
    it("warns when retention is shorter than the full-backup cycle", async () => {
      const p = await pool({ retentionDays: 5 });
      await job(p.id, { backupType: "incremental", schedule: "0 22 * * *", fullSchedule: "0 22 * * 0" });
      const [cal] = await retentionCalendar(hub.ctx);
      expect(cal?.warnings).toContainEqual({
        kind: "retention-shorter-than-cycle",
        text: expect.stringMatching(
          /keeps media sets 5 day\(s\), shorter than job .*'s full cycle of 7 day\(s\)/,
        ),
      });
    });

    it("warns when the pool will run out of tapes before the next expiry", async () => {
      const p = await pool();
      await job(p.id, { backupType: "incremental", schedule: "0 22 * * *", fullSchedule: "0 22 * * 0" });
      const ms = await mediaSet(p.id, "closed", ago(1), new Date(now().getTime() + 27 * DAY));
      await tape("TB0001L9", { poolId: p.id, state: "full", uuid: "u1", mediaSetId: ms.id });
      await tape("TB0002L9", { poolId: p.id, state: "active", uuid: "u2" });
      const [cal] = await retentionCalendar(hub.ctx);
      expect(cal?.warnings).toContainEqual({
        kind: "pool-runs-out",
        text: expect.stringMatching(/will run out of tapes: 1 usable tape\(s\) left, but [2-9] needed/),
      });
      const words = cal?.tapes.map((t) => [t.barcode, t.words]);
      expect(words?.[0]?.[1]).toMatch(/retained until \d{4}-\d\d-\d\d; reusable from then/);
      expect(words?.[1]?.[1]).toContain("free: labelled, in no media set");
    });
  });

  describe("pre-flight", () => {
    async function scheduled() {
      const p = await pool();
      const lib = await library();
      const j = await job(p.id, {
        schedule: "0 22 * * *",
        nextRunAt: new Date(now().getTime() + 3 * 3600_000),
      });
      return { p, lib, j };
    }

    it("a tape loaded in a drive is ready", async () => {
      const { p, lib, j } = await scheduled();
      await tape("TB0007L9", {
        poolId: p.id,
        state: "active",
        uuid: "u7",
        driveId: lib.drives[0]?.id,
        changerId: lib.changerId,
      });
      const check = await planPreflight(hub.ctx, j.id);
      expect(check.ready).toBe(true);
      expect(check.tapes[0]).toMatchObject({ barcode: "TB0007L9", where: "loaded in Drive 1", ready: true });
      expect(check.mediaSet).toContain("a new media set");
    });

    it("a tape in a changer slot is ready", async () => {
      const { p, lib, j } = await scheduled();
      await tape("TB0007L9", {
        poolId: p.id,
        state: "active",
        uuid: "u7",
        changerId: lib.changerId,
        slot: 3,
      });
      const check = await planPreflight(hub.ctx, j.id);
      expect(check.tapes[0]).toMatchObject({ where: "in changer slot 3", ready: true });
      expect(check.problem).toBeNull();
    });

    it("a missing tape raises one item naming it, any blank tape of the generation and the deadline; it clears once the tape is in a slot", async () => {
      const { p, lib, j } = await scheduled();
      const t = await tape("TB0007L9", { poolId: p.id, state: "active", uuid: "u7", location: "shelf" });
      const check = await planPreflight(hub.ctx, j.id);
      const at = (j.nextRunAt as Date).toISOString().slice(11, 16);
      expect(check.problem).toBe(
        `Insert TB0007L9 or any blank LTO-9 tape into the library of agent tape-host before ${at} for job ${j.name}`,
      );
      expect(await refreshPreflights(hub.ctx)).toEqual({ raised: [j.id], cleared: [] });
      expect(await refreshPreflights(hub.ctx)).toEqual({ raised: [], cleared: [] });
      expect((await needsOperator(hub.ctx)).filter((i) => i.kind === "preflight").map((i) => i.text)).toEqual(
        [check.problem],
      );
      await hub.ctx.db.update(tapes).set({ changerId: lib.changerId, slot: 2 }).where(eq(tapes.id, t.id));
      expect(await refreshPreflights(hub.ctx)).toEqual({ raised: [], cleared: [j.id] });
      expect((await needsOperator(hub.ctx)).filter((i) => i.kind === "preflight")).toEqual([]);
      const actions = (await hub.ctx.db.select().from(auditLogs)).map((a) => a.action);
      expect(actions.filter((a) => a.startsWith("preflight."))).toEqual([
        "preflight.raise",
        "preflight.clear",
      ]);
      // The operator hears of each once, as events the notifier routes.
      const news = (await hub.ctx.db.select().from(events)).filter((e) => e.kind.startsWith("preflight."));
      expect(news.map((e) => [e.kind, e.jobId])).toEqual([
        ["preflight.unmet", j.id],
        ["preflight.met", j.id],
      ]);
      expect(news[0]?.text).toContain(check.problem as string);
    });

    it("a write-protected tape is not ready and says so", async () => {
      const { p, lib, j } = await scheduled();
      await tape("TB0007L9", {
        poolId: p.id,
        state: "blank",
        changerId: lib.changerId,
        slot: 1,
        writeProtected: true,
      });
      await tape("TB0008L9", {
        poolId: p.id,
        state: "active",
        uuid: "u8",
        changerId: lib.changerId,
        slot: 2,
        writeProtected: true,
      });
      const check = await planPreflight(hub.ctx, j.id);
      expect(check.problem).toMatch(/^Insert any blank LTO-9 tape into the library/);
      // Write-protected tapes are never candidates to write; with none left, the words ask for a tape.
      expect(check.tapes).toEqual([]);
    });

    it("a drive asking for cleaning makes the run not ready, naming the drive", async () => {
      const { p, lib, j } = await scheduled();
      await hub.ctx.db
        .update(drives)
        .set({ alerts: ["Clean now"] })
        .where(eq(drives.id, lib.drives[0]?.id as number));
      await tape("TB0007L9", {
        poolId: p.id,
        state: "active",
        uuid: "u7",
        changerId: lib.changerId,
        slot: 1,
      });
      const check = await planPreflight(hub.ctx, j.id);
      expect(check.tapes[0]).toMatchObject({ note: "Drive 1 asks for cleaning", ready: false });
      expect(check.problem).toMatch(
        /^Drive 1 asks for cleaning: load a cleaning cartridge before \d\d:\d\d for job .* \(it would write TB0007L9\)$/,
      );
    });

    it("too little room for what the last runs wrote asks for another tape", async () => {
      const { p, lib, j } = await scheduled();
      await tape("TB0007L9", {
        poolId: p.id,
        state: "active",
        uuid: "u7",
        changerId: lib.changerId,
        slot: 1,
        capacityBytes: 1000,
        usedBytes: 900,
      });
      await hub.ctx.db.insert(jobRuns).values({
        jobId: j.id,
        kind: "backup",
        state: "completed",
        backupType: "full",
        triggeredBy: "t",
        queuedAt: now(),
        finishedAt: now(),
        bytesDone: 500,
      });
      const check = await planPreflight(hub.ctx, j.id);
      expect(check.problem).toMatch(
        /expected to write 0\.000 GB but the tapes at hand \(TB0007L9\) have 0\.000 GB free: insert any blank LTO-9 tape/,
      );
    });

    it("answers the same on GET /api/v1/jobs/:id/preflight", async () => {
      const { p, lib, j } = await scheduled();
      await tape("TB0007L9", {
        poolId: p.id,
        state: "active",
        uuid: "u7",
        changerId: lib.changerId,
        slot: 3,
      });
      const body = await hub.requestJson<{ ready: boolean; tapes: { barcode: string }[] }>(
        `/api/v1/jobs/${j.id}/preflight`,
        {
          token: await hub.tokenFor("read-only"),
        },
      );
      expect(body.ready).toBe(true);
      expect(body.tapes[0]?.barcode).toBe("TB0007L9");
    });
  });

  describe("reuse by dispatch", () => {
    it("relabels only an expired tape that passes the reuse check, with force and the uuid it checked; the refused one is named", async () => {
      const p = await pool({ allocation: "always", allocationCalendar: null });
      const lib = await library();
      const j = await job(p.id);
      const old = await mediaSet(p.id, "expired", ago(40), ago(12));
      const kept = await tape("TB0001L9", {
        poolId: p.id,
        state: "expired",
        uuid: "u1",
        changerId: lib.changerId,
        slot: 1,
        mediaSetId: old.id,
        lastWrittenAt: ago(50),
      });
      await set(j.id, p.id, null, [kept.id]);
      const free = await tape("TB0002L9", {
        poolId: p.id,
        state: "expired",
        uuid: "u2",
        changerId: lib.changerId,
        slot: 2,
        mediaSetId: old.id,
        lastWrittenAt: ago(40),
      });
      await set(j.id, p.id, old.id, [free.id], { state: "expired" });
      await queueFull(j.id, now());
      await dispatchQueuedRuns(hub.ctx);
      const orders = await hub.ctx.db.query.workOrders.findMany();
      expect(orders.map((o) => [o.kind, (o.payload as { tape: { barcode: string } }).tape.barcode])).toEqual([
        ["label", "TB0002L9"],
      ]);
      expect(orders[0]?.payload).toMatchObject({
        force: true,
        expectedUuid: "u2",
        tapeId: free.id,
        reuse: true,
      });
      const [run] = await hub.ctx.db.select().from(jobRuns);
      expect(run?.operatorMessage).toBe(
        "Preparing tape TB0002L9 (relabelling an expired tape for reuse) on Drive 1",
      );
      expect((await hub.ctx.db.select().from(auditLogs)).map((a) => a.action)).toContain("tape.reuse");
    });

    it("queues no label when every expired tape is still needed, and says what keeps it", async () => {
      const p = await pool({ allocation: "always", allocationCalendar: null });
      const lib = await library();
      const j = await job(p.id);
      const kept = await tape("TB0001L9", {
        poolId: p.id,
        state: "expired",
        uuid: "u1",
        changerId: lib.changerId,
        slot: 1,
      });
      const s1 = await set(j.id, p.id, null, [kept.id]);
      await queueFull(j.id, now());
      await dispatchQueuedRuns(hub.ctx);
      expect(await hub.ctx.db.query.workOrders.findMany()).toEqual([]);
      const [run] = await hub.ctx.db.select().from(jobRuns);
      expect(run?.operatorMessage).toContain(
        `no expired tape may be reused yet: Tape TB0001L9 holds 1 retained set(s): #${s1.id}`,
      );
    });
  });

  describe("two runs competing for one tape", () => {
    it("only one run reserves the cartridge; the other waits and says which run holds it", async () => {
      const p = await pool({ allocation: "continue", allocationCalendar: null });
      const lib = await library(2);
      await tape("TB0007L9", {
        poolId: p.id,
        state: "active",
        uuid: "u7",
        changerId: lib.changerId,
        slot: 1,
      });
      const a = await job(p.id);
      const b = await job(p.id);
      const t = now();
      await queueFull(a.id, t);
      await queueFull(b.id, new Date(t.getTime() + 1));
      await dispatchQueuedRuns(hub.ctx);
      await dispatchQueuedRuns(hub.ctx);
      const runs = await hub.ctx.db.select().from(jobRuns).orderBy(jobRuns.id);
      expect(runs.map((r) => r.agentId)).toEqual(["a1", null]);
      expect(runs[1]?.operatorMessage).toBe(
        `Waiting for tape TB0007L9: run #${runs[0]?.id} of job ${a.name} has it reserved`,
      );
      const orders = await hub.ctx.db.query.workOrders.findMany();
      expect(orders.filter((o) => o.kind === "backup")).toHaveLength(1);
    });
  });
});

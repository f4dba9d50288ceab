import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { DriveReport } from "../../contracts/agent-protocol.ts";
import { auditLogs, drives, mediaSets, tapes, workOrders } from "../../functions/db/schema/index.ts";
import { needsOperator } from "../../functions/services/attention/needs-operator.ts";
import { getDashboard } from "../../functions/services/dashboard/get-dashboard.ts";
import { cleaningDue } from "../../functions/services/drives/cleaning-due.ts";
import { getDriveHealth } from "../../functions/services/drives/get-drive-health.ts";
import { schedulerTick } from "../../functions/services/runs/scheduler-tick.ts";
import { insertRunningBackup } from "../helpers/catalog-rows.ts";
import { fakeAgent } from "../helpers/fake-agent.ts";
import { errorOf, hubWithAdminForEachTest, type TestHub } from "../helpers/hub.ts";

/**
 * The hub's side of library orders and drive care, driven through the agent protocol by a fake
 * agent: who gets which order, what is refused and why, and what the hub does with heartbeats.
 */
describe("library orders and drive care at the hub", () => {
  let hub: TestHub;
  let admin: string;
  hubWithAdminForEachTest({ POLL_INTERVAL_MS: "20" }, (fixture) => ({ hub, admin } = fixture));

  const CHANGER = "vtl:/srv/vtl";
  const slots = [
    { slot: 1, barcode: "TB0001L9", importExport: false },
    { slot: 2, barcode: "TB0002L8", importExport: false },
    { slot: 3, barcode: "CLNA0001", importExport: false },
    { slot: 4, barcode: null, importExport: true },
  ];
  const cleaningRequired = { code: 20, name: "Cleaning required", severity: "critical" as const };

  async function agentWithChanger() {
    const res = await hub.request("/api/v1/agents", { method: "POST", token: admin, json: { name: "host" } });
    const { enrollmentToken } = (await res.json()) as { enrollmentToken: string };
    const agent = await fakeAgent(hub, enrollmentToken, [{ changerDevice: CHANGER, changerIndex: 0 }]);
    const beat = async (drive: Partial<DriveReport> = {}) => {
      const sent = await agent.call("POST", "/heartbeat", {
        version: "test",
        drives: [{ ...agent.driveReports[0], changerDevice: CHANGER, changerIndex: 0, ...drive }],
        changers: [{ devicePath: CHANGER, name: "Virtual library", slots }],
      });
      expect(sent.status).toBe(204);
    };
    await beat();
    const changerId = (await hub.ctx.db.query.changers.findFirst())?.id as number;
    const driveId = (await hub.ctx.db.query.drives.findFirst())?.id as number;
    const next = async () => {
      const polled = await agent.call("GET", "/orders/next?wait=0");
      if (polled.status === 204) return null;
      return (await agent.verifyOrder(((await polled.json()) as { order: string }).order)).claims;
    };
    return { agent, beat, changerId, driveId, next };
  }

  const tapeOf = async (barcode: string) =>
    hub.ctx.db.query.tapes.findFirst({ where: eq(tapes.barcode, barcode) });

  it("registers a CLN barcode as a cleaning cartridge and a data barcode with the LTO type of its suffix", async () => {
    await agentWithChanger();
    expect(await tapeOf("CLNA0001")).toMatchObject({ state: "cleaning", generation: "cleaning" });
    expect(await tapeOf("TB0002L8")).toMatchObject({ state: "blank", generation: "LTO-8" });
  });

  it("sends an import as a library order through the changer's drive, and audits the request", async () => {
    const { changerId, next } = await agentWithChanger();
    const res = await hub.request(`/api/v1/changers/${changerId}/operations`, {
      method: "POST",
      token: admin,
      json: { op: "import" },
    });
    expect(res.status).toBe(202);
    const claims = await next();
    expect(claims?.body).toEqual({
      kind: "library",
      runId: null,
      drive: { devicePath: "/vtl/drive0" },
      changer: { devicePath: CHANGER },
      operation: { op: "import" },
    });
    const audit = await hub.ctx.db.query.auditLogs.findFirst({
      where: eq(auditLogs.action, "changer.operate"),
    });
    expect(audit).toMatchObject({ outcome: "success", target: String(changerId) });
  });

  it("refuses a changer order while its only drive runs a backup, naming the run", async () => {
    const { changerId, driveId, next } = await agentWithChanger();
    const post = async (path: string, json: unknown) =>
      hub.requestJson<{ id: number }>(path, { method: "POST", token: admin, json });
    const source = await post("/api/v1/sources", { name: "Share", kind: "local", paths: ["/srv"] });
    const pool = await post("/api/v1/pools", { name: "Weekly" });
    const job = await post("/api/v1/jobs", { name: "Nightly", sourceId: source.id, poolId: pool.id });
    const run = await insertRunningBackup(hub.ctx.db, { jobId: job.id, driveId, queuedAt: hub.ctx.now() });
    const res = await hub.request(`/api/v1/changers/${changerId}/operations`, {
      method: "POST",
      token: admin,
      json: { op: "inventory" },
    });
    expect(res.status).toBe(409);
    expect((await errorOf(res)).message).toBe(
      `inventory on Virtual library must wait: Drive 0 is busy with run ${run.id} (running); wait for it to end or cancel it`,
    );
    expect(await next()).toBeNull();
  });

  it("leaves the cleaning cartridge out of batch labelling and refuses a foreign cartridge, naming why", async () => {
    const { changerId } = await agentWithChanger();
    await hub.ctx.db.update(tapes).set({ state: "foreign" }).where(eq(tapes.barcode, "TB0002L8"));
    const pool = await hub.requestJson<{ id: number }>("/api/v1/pools", {
      method: "POST",
      token: admin,
      json: { name: "Weekly" },
    });
    const res = await hub.request(`/api/v1/changers/${changerId}/label-blank`, {
      method: "POST",
      token: admin,
      json: { poolId: pool.id },
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({
      labelled: [{ barcode: "TB0001L9" }],
      skipped: [{ barcode: "CLNA0001", reason: "cleaning cartridge" }],
      refused: [{ barcode: "TB0002L8", reason: "holds another program's data; erase it first" }],
    });
    const orders = await hub.ctx.db.query.workOrders.findMany({ where: eq(workOrders.kind, "label") });
    expect(orders.map((o) => (o.payload as { tape: { label: string } }).tape.label)).toEqual(["TB0001L9"]);
  });

  it("cleans a drive that says cleaning required once, with the CLN cartridge, and not again right after", async () => {
    const { beat, next, agent } = await agentWithChanger();
    await beat({ health: { alerts: [cleaningRequired], counters: null } });
    const clean = await next();
    expect(clean?.body).toMatchObject({ kind: "library", operation: { op: "clean", barcode: "CLNA0001" } });
    await agent.call("POST", `/orders/${clean?.jti}/ack`);
    const doing = async () => (await getDashboard(hub.ctx)).drives.map((d) => d.activity);
    // On the dashboard the drive is cleaning while the order is open, not idle (no run is on it).
    expect(await doing()).toEqual(["cleaning"]);
    const done = await agent.call("POST", `/orders/${clean?.jti}/result`, {
      state: "completed",
      library: { cleaned: { barcode: "CLNA0001", uses: null, maxUses: null, spent: false } },
    });
    expect(done.status).toBe(204);
    expect(await doing()).not.toContain("cleaning");
    expect(await tapeOf("CLNA0001")).toMatchObject({ cleaningUses: 1, cleaningMaxUses: 50 });
    // The drive still asks: no second clean, and the strip says what that means.
    await beat({ health: { alerts: [cleaningRequired], counters: null } });
    expect(await next()).toBeNull();
    const items = await needsOperator(hub.ctx);
    expect(items.map((i) => i.kind)).toEqual(
      expect.arrayContaining(["drive-health", "drive-cleaned", "drive-alert"]),
    );
    expect(items.find((i) => i.kind === "drive-alert")?.text).toMatch(
      /still asks for cleaning; the drive or its last tape may be failing/,
    );
  });

  it("takes the next changer order the moment an order's result frees the drive, before the agent's next heartbeat", async () => {
    const { agent, beat, changerId, next } = await agentWithChanger();
    const queue = () =>
      hub.request(`/api/v1/changers/${changerId}/operations`, {
        method: "POST",
        token: admin,
        json: { op: "import" },
      });
    expect((await queue()).status).toBe(202);
    const inventory = await next();
    await agent.call("POST", `/orders/${inventory?.jti}/ack`);
    // While it runs, the agent's heartbeat says the drive is busy.
    await beat({ state: "busy" });
    expect((await queue()).status).toBe(409);
    const done = await agent.call("POST", `/orders/${inventory?.jti}/result`, { state: "completed" });
    expect(done.status).toBe(204);
    // No heartbeat since: the result alone frees the drive.
    const again = await queue();
    expect(again.status, await again.clone().text()).toBe(202);
  });

  it("says on the drive when its changer holds no usable cleaning cartridge", async () => {
    const { beat, next } = await agentWithChanger();
    await hub.ctx.db
      .update(tapes)
      .set({ cleaningUses: 50, cleaningMaxUses: 50 })
      .where(eq(tapes.barcode, "CLNA0001"));
    await beat({ health: { alerts: [cleaningRequired], counters: null } });
    expect(await next()).toBeNull();
    const items = await needsOperator(hub.ctx);
    expect(items.find((i) => i.kind === "drive-alert")?.text).toMatch(
      /holds no usable cleaning cartridge \(CLN barcode\); import one through a mail slot/,
    );
    expect(items.find((i) => i.kind === "cleaning-spent")?.text).toBe(
      "Cleaning cartridge CLNA0001 is spent (50 of 50 uses); export it and import a new one",
    );
  });

  it("refuses erase without the barcode typed, naming what will be lost, and for a tape in no changer", async () => {
    await agentWithChanger();
    const shelf = await hub.requestJson<{ id: number }>("/api/v1/tapes", {
      method: "POST",
      token: admin,
      json: { barcode: "SHELF1L9" },
    });
    const erase = (json: unknown) =>
      hub.request(`/api/v1/tapes/${shelf.id}/erase`, { method: "POST", token: admin, json });
    const unconfirmed = await erase({ confirm: "" });
    expect(unconfirmed.status).toBe(400);
    expect((await errorOf(unconfirmed)).message).toBe(
      "Type the barcode SHELF1L9 to confirm: Erasing SHELF1L9 destroys its label.",
    );
    const away = await erase({ confirm: "SHELF1L9" });
    expect(away.status).toBe(409);
    expect((await errorOf(away)).message).toBe(
      "SHELF1L9 is in no changer the agents report; load it into a library to erase it",
    );
  });

  it("never labels a cleaning cartridge into a pool, and a foreign one only when forced", async () => {
    await agentWithChanger();
    await hub.ctx.db.update(tapes).set({ state: "foreign" }).where(eq(tapes.barcode, "TB0002L8"));
    const pool = await hub.requestJson<{ id: number }>("/api/v1/pools", {
      method: "POST",
      token: admin,
      json: { name: "Weekly" },
    });
    const label = async (barcode: string) =>
      hub.request(`/api/v1/tapes/${(await tapeOf(barcode))?.id}/label`, {
        method: "POST",
        token: admin,
        json: { poolId: pool.id },
      });
    const cln = await label("CLNA0001");
    expect(cln.status).toBe(409);
    expect((await errorOf(cln)).message).toBe("CLNA0001 is a cleaning cartridge; it never joins a pool");
    const foreign = await label("TB0002L8");
    expect(foreign.status).toBe(409);
    expect((await errorOf(foreign)).message).toBe(
      "Tape TB0002L8 holds another program's data; labelling destroys it (erase it, or send force: true)",
    );
  });

  it("exports every tape of a media set in the changer in one order, names the ones elsewhere, and refuses an unknown set", async () => {
    const { changerId, next } = await agentWithChanger();
    const pool = await hub.requestJson<{ id: number }>("/api/v1/pools", {
      method: "POST",
      token: admin,
      json: { name: "Offsite" },
    });
    const [set] = await hub.ctx.db
      .insert(mediaSets)
      .values({ poolId: pool.id, state: "closed", startedAt: new Date(0) })
      .returning();
    const mediaSetId = set?.id as number;
    await hub.ctx.db.update(tapes).set({ mediaSetId, state: "full" }).where(eq(tapes.barcode, "TB0001L9"));
    await hub.ctx.db.update(tapes).set({ mediaSetId, state: "active" }).where(eq(tapes.barcode, "TB0002L8"));
    await hub.ctx.db.insert(tapes).values({
      barcode: "TB0009L9",
      state: "offsite",
      mediaSetId,
      location: "Vault",
      createdAt: new Date(0),
      updatedAt: new Date(0),
    });
    const res = await hub.request(`/api/v1/changers/${changerId}/export`, {
      method: "POST",
      token: admin,
      json: { mediaSetId, location: "Fire safe, site B" },
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ tapes: ["TB0001L9", "TB0002L8"], notInChanger: ["TB0009L9"] });
    expect((await next())?.body).toMatchObject({
      kind: "library",
      operation: { op: "export", barcodes: ["TB0001L9", "TB0002L8"] },
    });
    const unknown = await hub.request(`/api/v1/changers/${changerId}/export`, {
      method: "POST",
      token: admin,
      json: { mediaSetId: mediaSetId + 100, location: "Vault" },
    });
    expect(unknown.status).toBe(404);
    const both = await hub.request(`/api/v1/changers/${changerId}/export`, {
      method: "POST",
      token: admin,
      json: { mediaSetId, poolId: pool.id, location: "Vault" },
    });
    expect(both.status).toBe(400);
  });

  it("cleans a drive on its cron schedule from the scheduler tick, once it is due, audited and announced, and counts again from that cleaning", async () => {
    const { next, agent, driveId } = await agentWithChanger();
    const schedule = (json: unknown) =>
      hub.request(`/api/v1/drives/${driveId}/cleaning-schedule`, { method: "PUT", token: admin, json });
    expect((await schedule({ cron: "not a cron" })).status).toBe(400);
    expect((await schedule({ cron: "0 3 * * *" })).status).toBe(200);
    // Just set: the next 03:00 is still ahead, whatever the time of day.
    await schedulerTick(hub.ctx, hub.deps.logger);
    expect(await next()).toBeNull();
    hub.advanceClock(25 * 3600_000);
    await schedulerTick(hub.ctx, hub.deps.logger);
    const clean = await next();
    expect(clean?.body).toMatchObject({ kind: "library", operation: { op: "clean", barcode: "CLNA0001" } });
    // The drive is busy with that order: the next tick adds no second clean.
    await schedulerTick(hub.ctx, hub.deps.logger);
    expect(await next()).toBeNull();
    const audit = await hub.ctx.db.query.auditLogs.findFirst({ where: eq(auditLogs.action, "drive.clean") });
    expect(audit?.details).toMatchObject({
      automatic: true,
      scheduled: true,
      cartridge: "CLNA0001",
      trigger: expect.stringMatching(/^schedule: its cleaning schedule \(0 3 \* \* \*\) was due /),
    });
    await agent.call("POST", `/orders/${clean?.jti}/ack`);
    const doing = async () => (await getDashboard(hub.ctx)).drives.map((d) => d.activity);
    // On the dashboard the drive is cleaning while the order is open, not idle (no run is on it).
    expect(await doing()).toEqual(["cleaning"]);
    const done = await agent.call("POST", `/orders/${clean?.jti}/result`, {
      state: "completed",
      library: { cleaned: { barcode: "CLNA0001", uses: null, maxUses: null, spent: false } },
    });
    expect(done.status).toBe(204);
    expect(await doing()).not.toContain("cleaning");
    const news = await hub.ctx.db.query.events.findMany();
    expect(news.map((e) => e.text)).toContainEqual(expect.stringMatching(/was cleaned with CLNA0001/));
    // Counted from the cleaning now: not due again until the next 03:00 after it.
    await schedulerTick(hub.ctx, hub.deps.logger);
    expect(await next()).toBeNull();
    // The drive page's words (the admin's session has expired with the clock moved a day).
    const health = await getDriveHealth(hub.ctx, driveId);
    expect(health.cleaning.lastCleanedAt).not.toBeNull();
    expect(health.cleaning.words).toEqual([
      expect.stringMatching(/^on the schedule 0 3 \* \* \* \(next \S+\)$/),
    ]);
  });

  it("sets one cleaning schedule for every drive of a changer", async () => {
    const { changerId, driveId } = await agentWithChanger();
    const res = await hub.request(`/api/v1/changers/${changerId}/cleaning-schedule`, {
      method: "PUT",
      token: admin,
      json: { everyTerabytes: 20 },
    });
    expect(res.status).toBe(200);
    const drive = await hub.ctx.db.query.drives.findFirst({ where: eq(drives.id, driveId) });
    expect(drive?.cleaningSchedule).toMatchObject({ cron: null, everyHours: null, everyTerabytes: 20 });
  });

  it("is due by hours of use or terabytes written since the last cleaning, and not before", () => {
    const since = new Date("2026-01-01T00:00:00Z");
    const rule = { cron: null, everyHours: 100, everyTerabytes: 10, since: since.toISOString() };
    const use = { since, lastCleanedAt: since, hours: 99.9, bytes: 9.99e12 };
    const now = new Date("2026-02-01T00:00:00Z");
    expect(cleaningDue(rule, use, now, "UTC")).toBeNull();
    expect(cleaningDue(rule, { ...use, hours: 100 }, now, "UTC")).toBe(
      "100.0 h of use since its last cleaning (cleaned every 100 h)",
    );
    expect(cleaningDue(rule, { ...use, bytes: 10e12, lastCleanedAt: null }, now, "UTC")).toBe(
      "10.000 TB written since its schedule was set (cleaned every 10 TB)",
    );
  });
});

import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { auditLogs, drives, tapes } from "../../functions/db/schema/index.ts";
import { insertRunningBackup } from "../helpers/catalog-rows.ts";
import { fakeAgent } from "../helpers/fake-agent.ts";
import { errorOf, hubWithAdminForEachTest, type TestHub } from "../helpers/hub.ts";

describe("ejecting a tape from the drive holding it", () => {
  let hub: TestHub;
  let admin: string;
  hubWithAdminForEachTest({ POLL_INTERVAL_MS: "20" }, (fixture) => ({ hub, admin } = fixture));

  /** Two agents; the second one's drive 1 holds L00002L9, its drive 0 is empty. */
  async function twoAgents() {
    const agentOf = async (name: string, loaded: (string | null)[]) => {
      const res = await hub.request("/api/v1/agents", { method: "POST", token: admin, json: { name } });
      const { enrollmentToken } = (await res.json()) as { enrollmentToken: string };
      return fakeAgent(
        hub,
        enrollmentToken,
        loaded.map((b) => ({ loadedBarcode: b })),
      );
    };
    const other = await agentOf("host-a", ["L00001L9"]);
    const holder = await agentOf("host-b", [null, "L00002L9"]);
    const tapeId = async (barcode: string) =>
      (await hub.ctx.db.query.tapes.findFirst({ where: eq(tapes.barcode, barcode) }))?.id as number;
    return { other, holder, tapeId };
  }

  const eject = (id: number, token = admin) =>
    hub.request(`/api/v1/tapes/${id}/eject`, { method: "POST", token, json: {} });

  it("signs an eject order for the agent whose drive holds the tape, naming that drive and barcode", async () => {
    const { other, holder, tapeId } = await twoAgents();
    const res = await eject(await tapeId("L00002L9"));
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ tape: "L00002L9", drive: "Drive 1" });

    expect((await other.call("GET", "/orders/next?wait=0")).status).toBe(204);
    const polled = await holder.call("GET", "/orders/next?wait=0");
    expect(polled.status).toBe(200);
    const { claims } = await holder.verifyOrder(((await polled.json()) as { order: string }).order);
    expect(claims.aud).toBe(holder.agentId);
    expect(claims.body).toEqual({
      kind: "eject",
      runId: null,
      drive: { devicePath: "/vtl/drive1" },
      expectedBarcode: "L00002L9",
    });
    const audit = await hub.ctx.db.query.auditLogs.findFirst({ where: eq(auditLogs.action, "tape.eject") });
    expect(audit).toMatchObject({ outcome: "success", target: String(await tapeId("L00002L9")) });
  });

  it("clears the drive's cartridge when the agent reports the eject done", async () => {
    const { holder, tapeId } = await twoAgents();
    const id = await tapeId("L00002L9");
    await eject(id);
    const { order } = (await (await holder.call("GET", "/orders/next?wait=0")).json()) as { order: string };
    const { claims } = await holder.verifyOrder(order);
    await holder.call("POST", `/orders/${claims.jti}/ack`);
    const done = await holder.call("POST", `/orders/${claims.jti}/result`, { state: "completed" });
    expect(done.status).toBe(204);
    const drive = await hub.ctx.db.query.drives.findFirst({ where: eq(drives.devicePath, "/vtl/drive1") });
    expect(drive?.loadedTapeId).toBeNull();
    expect((await hub.ctx.db.query.tapes.findFirst({ where: eq(tapes.id, id) }))?.driveId).toBeNull();
  });

  it("keeps the capacity a label result reports, and a label result that does not know it keeps the known one", async () => {
    const { holder, tapeId } = await twoAgents();
    const id = await tapeId("L00002L9");
    const pool = await hub.requestJson<{ id: number }>("/api/v1/pools", {
      method: "POST",
      token: admin,
      json: { name: "Sized" },
    });
    const label = async (result: Record<string, unknown>) => {
      const asked = await hub.request(`/api/v1/tapes/${id}/label`, {
        method: "POST",
        token: admin,
        json: { poolId: pool.id, force: true },
      });
      expect(asked.status).toBe(202);
      const { order } = (await (await holder.call("GET", "/orders/next?wait=0")).json()) as { order: string };
      const { claims } = await holder.verifyOrder(order);
      expect(claims.body.kind).toBe("label");
      await holder.call("POST", `/orders/${claims.jti}/ack`);
      expect((await holder.call("POST", `/orders/${claims.jti}/result`, result)).status).toBe(204);
      return hub.ctx.db.query.tapes.findFirst({ where: eq(tapes.id, id) });
    };
    expect(await label({ state: "completed", tapeCapacityBytes: 12_000_000_000_000 })).toMatchObject({
      state: "active",
      capacityBytes: 12_000_000_000_000,
    });
    expect((await label({ state: "completed" }))?.capacityBytes).toBe(12_000_000_000_000);
  });

  it("refuses a tape that is in no drive, in words that say so", async () => {
    await twoAgents();
    const shelf = await hub.request("/api/v1/tapes", {
      method: "POST",
      token: admin,
      json: { barcode: "SHELF1L9" },
    });
    expect(shelf.status).toBe(201);
    const res = await eject(((await shelf.json()) as { id: number }).id);
    expect(res.status).toBe(409);
    expect((await errorOf(res)).message).toBe(
      "Tape SHELF1L9 is not in any drive the agents report; there is nothing to eject",
    );
  });

  it("refuses while the drive works on a run, naming the run, and sends no order", async () => {
    const { holder, tapeId } = await twoAgents();
    const post = async (path: string, json: unknown) =>
      await hub.requestJson<{ id: number }>(path, { method: "POST", token: admin, json });
    const source = await post("/api/v1/sources", { name: "Share", kind: "local", paths: ["/srv"] });
    const pool = await post("/api/v1/pools", { name: "Weekly" });
    const job = await post("/api/v1/jobs", { name: "Nightly", sourceId: source.id, poolId: pool.id });
    const drive = await hub.ctx.db.query.drives.findFirst({ where: eq(drives.devicePath, "/vtl/drive1") });
    const run = await insertRunningBackup(hub.ctx.db, {
      jobId: job.id,
      driveId: drive?.id as number,
      queuedAt: hub.ctx.now(),
    });
    const res = await eject(await tapeId("L00002L9"));
    expect(res.status).toBe(409);
    expect((await errorOf(res)).message).toBe(
      `Drive 1 is busy with run ${run.id} (running); wait for it to end or cancel it, then eject L00002L9`,
    );
    expect((await holder.call("GET", "/orders/next?wait=0")).status).toBe(204);
  });

  it("refuses while another order for the same drive is still open", async () => {
    const { tapeId } = await twoAgents();
    const id = await tapeId("L00002L9");
    expect((await eject(id)).status).toBe(202);
    const again = await eject(id);
    expect(again.status).toBe(409);
    expect((await errorOf(again)).message).toBe(
      "Drive 1 is busy with an open eject order; eject L00002L9 when it is idle",
    );
  });

  it("is refused to a read-only user and audited as denied", async () => {
    const { tapeId } = await twoAgents();
    const res = await eject(await tapeId("L00002L9"), await hub.tokenFor("read-only"));
    expect(res.status).toBe(403);
    const audit = await hub.ctx.db.query.auditLogs.findFirst({ where: eq(auditLogs.action, "tape.eject") });
    expect(audit?.outcome).toBe("denied");
  });
});

import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  type CatalogEntry,
  type ScanSetReport,
  type ScanTapeReport,
  scanChunkSeq,
} from "../../contracts/agent-protocol.ts";
import {
  backupSetSegments,
  backupSets,
  catalogEntries,
  jobRuns,
  pools,
  tapes,
} from "../../functions/db/schema/index.ts";
import { type fakeAgent, hubWithDriveAgentForEachTest } from "../helpers/fake-agent.ts";
import { errorOf, type TestHub } from "../helpers/hub.ts";

/** The hub side of a scan order: what the drive-agent posts about a tape, and what the catalog makes of it. */
describe("scan orders rebuild the catalog from what tapes say", () => {
  let hub: TestHub;
  let admin: string;
  let agent: Awaited<ReturnType<typeof fakeAgent>>;
  let driveId: number;
  hubWithDriveAgentForEachTest((fixture) => ({ hub, admin, agent, driveId } = fixture));

  const SET = "6a0c7f0e-3f5e-4a55-9a36-0d4b8d1f0a11";
  const TAPE_UUID = "0b7f5d8e-1111-4c1a-9d2e-3f4a5b6c7d8e";

  /** Queues a scan through the API and takes its order as the agent; returns the order id and run id. */
  async function scanOrder(barcode?: string): Promise<{ orderId: string; runId: number }> {
    const res = await hub.request(`/api/v1/drives/${driveId}/scan`, {
      method: "POST",
      token: admin,
      json: barcode ? { barcode } : {},
    });
    expect(res.status).toBe(202);
    const run = (await res.json()) as { id: number; kind: string };
    expect(run.kind).toBe("scan");
    const { order } = (await (await agent.call("GET", "/orders/next?wait=1")).json()) as { order: string };
    const { claims } = await agent.verifyOrder(order);
    expect(claims.body).toMatchObject({ kind: "scan", runId: run.id, drive: { devicePath: "/vtl/drive0" } });
    expect((await agent.call("POST", `/orders/${claims.jti}/ack`)).status).toBe(204);
    return { orderId: claims.jti, runId: run.id };
  }

  const LABEL = {
    label: "TB0001L9",
    uuid: TAPE_UUID,
    pool: "Offsite",
    timestamp: 1_700_000_000,
    encryptionFingerprint: "",
    compression: "",
  };
  const tapeReport = (over: Partial<ScanTapeReport> = {}): ScanTapeReport => ({
    barcode: "TB0001L9",
    kind: "labelled",
    label: LABEL,
    filesOnTape: 3,
    plainFiles: 0,
    plainBytes: 0,
    ...over,
  });

  const setReport = (over: Partial<ScanSetReport> = {}): ScanSetReport => ({
    tapeBarcode: "TB0001L9",
    setUuid: SET,
    job: { id: "7", name: "Home dirs" },
    startedAt: "2026-01-02T03:04:05.000Z",
    finishedAt: "2026-01-02T04:00:00.000Z",
    compression: "zstd",
    encryption: { algorithm: "none", keyFingerprint: null },
    blockSize: 65_536,
    sequence: 0,
    fileNumber: 1,
    streamOffset: 0,
    dataBytes: 1_048_576,
    continues: false,
    complete: true,
    files: 2,
    ...over,
  });

  const entry = (path: string, offset: number, segment = 0): CatalogEntry => [
    path,
    "file",
    10,
    0o644,
    0,
    0,
    1_700_000_000,
    null,
    "b".repeat(64),
    offset,
    segment,
    segment,
    false,
  ];

  /** Posts one TOC the way the drive-agent does: set, its chunk, then segment-done. */
  async function postToc(orderId: string, report: ScanSetReport, entries: CatalogEntry[]) {
    const answer = (await (await agent.call("POST", `/orders/${orderId}/scan/set`, report)).json()) as {
      status: string;
    };
    if (answer.status !== "known") {
      const chunk = { setUuid: report.setUuid, seq: scanChunkSeq(report.sequence, 0), entries };
      expect((await agent.call("POST", `/orders/${orderId}/catalog`, chunk)).status).toBe(200);
      const done = await agent.call("POST", `/orders/${orderId}/scan/segment`, {
        ...report,
        entries: entries.length,
      });
      expect(done.status).toBe(204);
    }
    return answer.status;
  }

  const countEntries = async () => (await hub.ctx.db.select().from(catalogEntries)).length;

  it("registers an unknown tape and its pool by the label's name, and builds the set, segment and catalog rows", async () => {
    const { orderId } = await scanOrder("TB0001L9");
    const tape = await agent.call("POST", `/orders/${orderId}/scan/tape`, tapeReport());
    expect(await tape.json()).toMatchObject({ barcode: "TB0001L9" });
    const status = await postToc(orderId, setReport(), [entry("home/a.txt", 0), entry("home/<b>.txt", 1024)]);
    expect(status).toBe("new-set");

    const row = await hub.ctx.db.query.tapes.findFirst({ where: eq(tapes.barcode, "TB0001L9") });
    const pool = await hub.ctx.db.query.pools.findFirst({ where: eq(pools.name, "Offsite") });
    expect(row).toMatchObject({ uuid: TAPE_UUID, label: "TB0001L9", poolId: pool?.id, state: "active" });
    const set = await hub.ctx.db.query.backupSets.findFirst({ where: eq(backupSets.uuid, SET) });
    expect(set).toMatchObject({ state: "complete", compression: "zstd", fileCount: 2, tapeBytes: 1_048_576 });
    const job = await hub.ctx.db.query.jobs.findFirst({
      where: (j, { eq }) => eq(j.id, set?.jobId as number),
    });
    expect(job).toMatchObject({ name: "Home dirs", enabled: false, sourceId: null });
    const segments = await hub.ctx.db.query.backupSetSegments.findMany();
    expect(segments).toMatchObject([{ sequence: 0, tapeId: row?.id, fileNumber: 1, complete: true }]);
    expect(await countEntries()).toBe(2);
  });

  it("re-posting the same scan, or scanning the tape again, adds nothing", async () => {
    const entries = [entry("home/a.txt", 0), entry("home/b.txt", 1024)];
    const first = await scanOrder();
    await agent.call("POST", `/orders/${first.orderId}/scan/tape`, tapeReport());
    expect(await postToc(first.orderId, setReport(), entries)).toBe("new-set");

    // The agent re-sends every post (a lost answer): chunk and segment are no-ops.
    const chunk = { setUuid: SET, seq: scanChunkSeq(0, 0), entries };
    expect(await (await agent.call("POST", `/orders/${first.orderId}/catalog`, chunk)).json()).toMatchObject({
      duplicate: true,
    });
    await agent.call("POST", `/orders/${first.orderId}/scan/segment`, { ...setReport(), entries: 2 });
    expect(await postToc(first.orderId, setReport(), entries)).toBe("known");

    const again = await scanOrder();
    expect((await agent.call("POST", `/orders/${again.orderId}/scan/tape`, tapeReport())).status).toBe(200);
    expect(await postToc(again.orderId, setReport(), entries)).toBe("known");

    expect(await countEntries()).toBe(2);
    expect(await hub.ctx.db.select().from(backupSets)).toHaveLength(1);
    expect(await hub.ctx.db.select().from(backupSetSegments)).toHaveLength(1);
    expect(await hub.ctx.db.select().from(tapes).where(eq(tapes.barcode, "TB0001L9"))).toHaveLength(1);
  });

  it("leaves a set the catalog knows from its backup as it is, and refuses scan rows for it", async () => {
    const { orderId, runId } = await scanOrder();
    await agent.call("POST", `/orders/${orderId}/scan/tape`, tapeReport());
    const run = await hub.ctx.db.query.jobRuns.findFirst({ where: eq(jobRuns.id, runId) });
    const backupRun = (
      await hub.ctx.db
        .insert(jobRuns)
        .values({ jobId: run?.jobId as number, kind: "backup", triggeredBy: "test", queuedAt: new Date() })
        .returning()
    )[0];
    await hub.ctx.db.insert(backupSets).values({
      uuid: SET,
      runId: backupRun?.id,
      backupType: "incremental",
      state: "complete",
      compression: "zstd",
      encryption: "none",
      blockSize: 65_536,
      fileCount: 5,
      startedAt: new Date("2026-01-02T03:04:05Z"),
      createdAt: new Date(),
    });

    expect(await postToc(orderId, setReport(), [entry("home/a.txt", 0)])).toBe("known");
    const chunk = { setUuid: SET, seq: scanChunkSeq(0, 0), entries: [entry("home/a.txt", 0)] };
    expect((await agent.call("POST", `/orders/${orderId}/catalog`, chunk)).status).toBe(404);
    expect(await countEntries()).toBe(0);
    const set = await hub.ctx.db.query.backupSets.findFirst({ where: eq(backupSets.uuid, SET) });
    expect(set).toMatchObject({ backupType: "incremental", fileCount: 5, state: "complete" });
  });

  it("a set that spans two tapes scanned last tape first is incomplete until the first is scanned, then whole", async () => {
    await hub.ctx.db
      .insert(tapes)
      .values({ barcode: "TB0002L9", createdAt: new Date(), updatedAt: new Date() });
    const second = await scanOrder();
    await agent.call(
      "POST",
      `/orders/${second.orderId}/scan/tape`,
      tapeReport({
        barcode: "TB0002L9",
        label: { ...LABEL, label: "TB0002L9", uuid: crypto.randomUUID() },
      }),
    );
    const tail = setReport({
      tapeBarcode: "TB0002L9",
      sequence: 1,
      streamOffset: 1_048_576,
      continues: false,
    });
    expect(await postToc(second.orderId, tail, [entry("home/z.txt", 2_000_000, 1)])).toBe("new-set");
    const partial = await hub.ctx.db.query.backupSets.findFirst({ where: eq(backupSets.uuid, SET) });
    expect(partial?.state).toBe("incomplete");

    const first = await scanOrder();
    await agent.call("POST", `/orders/${first.orderId}/scan/tape`, tapeReport());
    const head = setReport({ continues: true });
    expect(await postToc(first.orderId, head, [entry("home/a.txt", 0), entry("home/b.txt", 1024)])).toBe(
      "new-segment",
    );
    const whole = await hub.ctx.db.query.backupSets.findFirst({ where: eq(backupSets.uuid, SET) });
    expect(whole).toMatchObject({ state: "complete", fileCount: 3, tapeBytes: 2_097_152 });
    expect(whole?.finishedAt?.toISOString()).toBe("2026-01-02T04:00:00.000Z");
    const firstTape = await hub.ctx.db.query.tapes.findFirst({ where: eq(tapes.barcode, "TB0001L9") });
    expect(firstTape?.state).toBe("full");
  });

  it("never merges two tapes: a barcode catalogued with another uuid is refused with both named", async () => {
    // The agent's report registered the loaded cartridge; this catalog says it holds another label.
    await hub.ctx.db
      .update(tapes)
      .set({ uuid: "11111111-2222-4333-8444-555555555555", state: "active" })
      .where(eq(tapes.barcode, "TB0001L9"));
    const { orderId } = await scanOrder();
    const res = await agent.call("POST", `/orders/${orderId}/scan/tape`, tapeReport());
    expect(res.status).toBe(409);
    expect((await errorOf(res)).message).toMatch(/TB0001L9.*11111111-2222-4333-8444-555555555555.*0b7f5d8e/);
    const row = await hub.ctx.db.query.tapes.findFirst({ where: eq(tapes.barcode, "TB0001L9") });
    expect(row?.uuid).toBe("11111111-2222-4333-8444-555555555555");
  });

  it("an encrypted set scanned into a hub without its key cannot be restored, and the refusal names the key", async () => {
    const { orderId } = await scanOrder();
    await agent.call("POST", `/orders/${orderId}/scan/tape`, tapeReport());
    const fingerprint = "c".repeat(64);
    await postToc(
      orderId,
      setReport({ encryption: { algorithm: "aes-256-gcm", keyFingerprint: fingerprint } }),
      [entry("home/a.txt", 0)],
    );
    const set = await hub.ctx.db.query.backupSets.findFirst({ where: eq(backupSets.uuid, SET) });
    const res = await hub.request("/api/v1/restores", {
      method: "POST",
      token: admin,
      json: { setId: set?.id, paths: ["home/a.txt"], destination: "/srv/restore" },
    });
    expect(res.status).toBe(409);
    expect((await errorOf(res)).message).toContain(fingerprint);
  });

  it("refuses a TOC of a tape the catalog has not registered, and a malformed barcode", async () => {
    const { orderId } = await scanOrder();
    const unknown = await agent.call(
      "POST",
      `/orders/${orderId}/scan/set`,
      setReport({ tapeBarcode: "TB0009L9" }),
    );
    expect(unknown.status).toBe(404);
    const bad = await agent.call("POST", `/orders/${orderId}/scan/tape`, { ...tapeReport(), barcode: "<b>" });
    expect(bad.status).toBe(400);
  });

  it("the agents page offers a scan per drive to an operator, none to a read-only user, and the form queues it", async () => {
    const operator = await hub.tokenFor("operator");
    const html = await (await hub.request("/agents", { token: operator })).text();
    expect(html).toContain(`hx-post="/drives/${driveId}/scan"`);
    const readOnly = await (await hub.request("/agents", { token: await hub.tokenFor("read-only") })).text();
    expect(readOnly).toContain("/vtl/drive0");
    expect(readOnly).not.toContain("/scan");
    const res = await hub.postForm(`/drives/${driveId}/scan`, "barcode=TB0001L9", operator);
    expect(res.status).toBe(202);
    const { order } = (await (await agent.call("GET", "/orders/next?wait=1")).json()) as { order: string };
    expect((await agent.verifyOrder(order)).claims.body).toMatchObject({ kind: "scan", barcode: "TB0001L9" });
  });
});

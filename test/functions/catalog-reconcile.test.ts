import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  type CatalogEntry,
  type ScanSetReport,
  type SegmentCatalogTally,
  scanChunkSeq,
} from "../../contracts/agent-protocol.ts";
import { CatalogDigest } from "../../contracts/catalog-digest.ts";
import {
  backupSetSegments,
  backupSets,
  catalogEntries,
  jobLogs,
  jobRuns,
  tapes,
} from "../../functions/db/schema/index.ts";
import { needsOperator } from "../../functions/services/attention/needs-operator.ts";
import {
  acknowledgedBackupOrder,
  BACKUP_BARCODE,
  BACKUP_TAPE_UUID,
  fileAt,
  segmentOn,
} from "../helpers/backup-order.ts";
import { insertSet } from "../helpers/catalog-rows.ts";
import { errorOf, hubWithAdminForEachTest, type TestHub } from "../helpers/hub.ts";

const ENTRIES: CatalogEntry[] = [
  fileAt("srv/a.txt", 0),
  fileAt("srv/b.txt", 1024),
  fileAt("srv/<c>.txt", 2048),
];

type Agent = Awaited<ReturnType<typeof acknowledgedBackupOrder>>["agent"];

const tallyOf = (entries: CatalogEntry[], sequence = 0): SegmentCatalogTally => {
  const digest = new CatalogDigest();
  for (const e of entries) digest.add(e);
  return { sequence, entries: digest.entries, digest: digest.hex() };
};

/** The reconciliation of a backup's catalog at its result, and the rebuild that mends a short one. */
describe("a set is complete only when its catalog holds what the agent wrote", () => {
  let hub: TestHub;
  let admin: string;
  hubWithAdminForEachTest({ POLL_INTERVAL_MS: "20" }, (fixture) => ({ hub, admin } = fixture));

  /** A backup that sent ENTRIES in one chunk and closed one segment on L00001L9. */
  async function backupWithCatalog() {
    const order = await acknowledgedBackupOrder(hub, admin);
    const { agent, orderId, setUuid } = order;
    const chunk = await agent.call("POST", `/orders/${orderId}/catalog`, {
      setUuid,
      seq: 0,
      entries: ENTRIES,
    });
    expect(chunk.status).toBe(200);
    expect((await agent.call("POST", `/orders/${orderId}/segments`, segmentOn(setUuid, 0, 1))).status).toBe(
      204,
    );
    const result = (json: unknown) => agent.call("POST", `/orders/${orderId}/result`, json);
    return { ...order, result };
  }

  const setRow = async (id: number) =>
    hub.ctx.db.query.backupSets.findFirst({ where: eq(backupSets.id, id) });
  const runRow = async (id: number) => hub.ctx.db.query.jobRuns.findFirst({ where: eq(jobRuns.id, id) });
  const entryRows = async (setId: number) =>
    (await hub.ctx.db.select().from(catalogEntries).where(eq(catalogEntries.setId, setId))).map(
      (e) => `${e.dir}/${e.name}@${e.offset}`,
    );

  /** The TOC of the set's one tape as the agent reads it back (3 entries). */
  const tocOf = (setUuid: string): ScanSetReport => ({
    tapeBarcode: BACKUP_BARCODE,
    setUuid,
    job: { id: "1", name: "Nightly" },
    startedAt: "2026-01-02T03:04:05.000Z",
    finishedAt: "2026-01-02T04:00:00.000Z",
    compression: "none",
    encryption: { algorithm: "none", keyFingerprint: null },
    blockSize: 65_536,
    sequence: 0,
    fileNumber: 1,
    streamOffset: 0,
    dataBytes: 4096,
    continues: false,
    complete: true,
    files: ENTRIES.length,
  });

  /** An operator asks for the rebuild; the agent takes and acknowledges the scan order. */
  async function rebuildOrder(agent: Agent, setId: number) {
    const rebuild = await hub.request(`/api/v1/sets/${setId}/rebuild-catalog`, {
      method: "POST",
      token: await hub.tokenFor("operator"),
      json: {},
    });
    expect(rebuild.status).toBe(202);
    const started = (await rebuild.json()) as { tapes: string[]; runs: { id: number; kind: string }[] };
    const polled = await agent.call("GET", "/orders/next?wait=1");
    expect(polled.status).toBe(200);
    const { claims } = await agent.verifyOrder(((await polled.json()) as { order: string }).order);
    expect((await agent.call("POST", `/orders/${claims.jti}/ack`)).status).toBe(204);
    return { started, orderId: claims.jti, body: claims.body };
  }

  it("completes the set and the run when the agent's tallies match the catalog", async () => {
    const { setId, runId, result } = await backupWithCatalog();
    expect((await result({ state: "completed", catalog: [tallyOf(ENTRIES)] })).status).toBe(204);
    expect(await setRow(setId)).toMatchObject({ state: "complete", catalogProblem: null, fileCount: 3 });
    expect(await runRow(runId)).toMatchObject({ state: "completed", error: null });
    const [segment] = await hub.ctx.db.select().from(backupSetSegments);
    expect(segment).toMatchObject({
      catalogEntries: 3,
      catalogDigest: tallyOf(ENTRIES).digest,
      catalogChecked: true,
    });
    expect(await needsOperator(hub.ctx)).toEqual([]);
  });

  it("fails the run and leaves the set incomplete, in the operator's words, when a row went missing; a rebuild from the tape's TOC mends it", async () => {
    const { agent, setId, setUuid, runId, result } = await backupWithCatalog();
    await hub.catalog.client.execute({
      sql: "delete from catalog_entries where set_id = ? and name = ?",
      args: [setId, "b.txt"],
    });
    expect((await result({ state: "completed", catalog: [tallyOf(ENTRIES)] })).status).toBe(204);

    const short = `catalog short by 1 entry on tape ${BACKUP_BARCODE}`;
    const set = await setRow(setId);
    expect(set?.state).toBe("incomplete");
    expect(set?.catalogProblem).toContain(short);
    expect(set?.catalogProblem).toContain(`Rebuild catalog on set ${setId}`);
    const run = await runRow(runId);
    expect(run?.state).toBe("failed");
    expect(run?.error).toContain(`${short}: the hub holds 2 of the 3 the agent wrote`);
    const errors = await hub.ctx.db
      .select()
      .from(jobLogs)
      .where(and(eq(jobLogs.runId, runId), eq(jobLogs.level, "error")));
    expect(errors.map((l) => l.message)).toEqual([expect.stringContaining(short)]);
    const [segment] = await hub.ctx.db.select().from(backupSetSegments);
    expect(segment?.catalogChecked).toBe(false);

    const attention = await needsOperator(hub.ctx);
    expect(attention.find((a) => a.kind === "set-incomplete")).toEqual({
      kind: "set-incomplete",
      text: expect.stringContaining(`Set ${setId} of Nightly is incomplete: ${short}`),
      href: "/restore",
      // Since sites: every item says where it is (this hub has no sites).
      siteId: null,
    });
    const strip = await hub.request("/partials/attention", { token: await hub.tokenFor("read-only") });
    expect(await strip.text()).toContain(`Set ${setId} of Nightly is incomplete: ${short}`);

    // The operator rebuilds: one scan of the set's one tape, marked as a rebuild of this set.
    const { started, orderId: scan, body } = await rebuildOrder(agent, setId);
    expect(started.tapes).toEqual([BACKUP_BARCODE]);
    expect(started.runs).toMatchObject([{ kind: "scan" }]);
    expect(body).toMatchObject({ kind: "scan", barcode: BACKUP_BARCODE, rebuildSetUuid: setUuid });
    const tape = await agent.call("POST", `/orders/${scan}/scan/tape`, {
      barcode: BACKUP_BARCODE,
      kind: "labelled",
      label: {
        label: BACKUP_BARCODE,
        uuid: BACKUP_TAPE_UUID,
        pool: "Weekly",
        timestamp: 1_700_000_000,
        encryptionFingerprint: "",
        compression: "",
      },
      filesOnTape: 3,
      plainFiles: 0,
      plainBytes: 0,
    });
    expect(tape.status).toBe(200);
    const toc = tocOf(setUuid);
    expect(await (await agent.call("POST", `/orders/${scan}/scan/set`, toc)).json()).toEqual({
      status: "rebuild",
      setId,
    });
    const chunk = { setUuid, seq: scanChunkSeq(0, 0), entries: ENTRIES };
    expect((await agent.call("POST", `/orders/${scan}/catalog`, chunk)).status).toBe(200);
    // Re-sent (the agent's outbox could not tell the first try arrived): still no duplicate.
    expect((await agent.call("POST", `/orders/${scan}/catalog`, chunk)).status).toBe(200);
    const done = await agent.call("POST", `/orders/${scan}/scan/segment`, {
      ...toc,
      entries: ENTRIES.length,
    });
    expect(done.status).toBe(204);

    expect((await entryRows(setId)).sort()).toEqual(["srv/<c>.txt@2048", "srv/a.txt@0", "srv/b.txt@1024"]);
    expect(await setRow(setId)).toMatchObject({ state: "complete", catalogProblem: null, fileCount: 3 });
    const [rebuilt] = await hub.ctx.db.select().from(backupSetSegments);
    expect(rebuilt?.catalogChecked).toBe(true);
    expect((await agent.call("POST", `/orders/${scan}/result`, { state: "completed" })).status).toBe(204);
    expect(await setRow(setId)).toMatchObject({ state: "complete" });
    expect((await needsOperator(hub.ctx)).filter((a) => a.kind === "set-incomplete")).toEqual([]);
  });

  it("keeps the set incomplete, naming the tape, when a rebuild's chunks did not bring all of the TOC's entries", async () => {
    const { agent, setId, setUuid, result } = await backupWithCatalog();
    await hub.catalog.client.execute({
      sql: "delete from catalog_entries where set_id = ? and name in ('a.txt', 'b.txt')",
      args: [setId],
    });
    await result({ state: "completed", catalog: [tallyOf(ENTRIES)] });
    expect((await setRow(setId))?.catalogProblem).toContain(
      `catalog short by 2 entries on tape ${BACKUP_BARCODE}`,
    );
    const { orderId: scan } = await rebuildOrder(agent, setId);
    const toc = tocOf(setUuid);
    expect(await (await agent.call("POST", `/orders/${scan}/scan/set`, toc)).json()).toMatchObject({
      status: "rebuild",
    });
    // The TOC lists 3 entries, but the chunk that carried a.txt never reached the catalog.
    await agent.call("POST", `/orders/${scan}/catalog`, {
      setUuid,
      seq: scanChunkSeq(0, 0),
      entries: ENTRIES.slice(1),
    });
    await agent.call("POST", `/orders/${scan}/scan/segment`, { ...toc, entries: 3 });
    const set = await setRow(setId);
    expect(set?.state).toBe("incomplete");
    expect(set?.catalogProblem).toContain(`tape(s) ${BACKUP_BARCODE} is not rebuilt yet`);
    expect(await entryRows(setId)).toHaveLength(2);
  });

  it("leaves the set incomplete, never complete, when the agent reports a failure after writing segments", async () => {
    const { setId, runId, result } = await backupWithCatalog();
    const error = "the hub refused catalog chunk 1 (hub refused POST /orders/x/catalog: 413 too large)";
    await result({ state: "failed", error, catalog: [tallyOf(ENTRIES)] });
    expect(await setRow(setId)).toMatchObject({ state: "incomplete" });
    expect(await runRow(runId)).toMatchObject({ state: "failed", error });
  });

  it("does not complete a set whose agent did not report what it sent to the catalog", async () => {
    const { setId, runId, result } = await backupWithCatalog();
    await result({ state: "completed" });
    const set = await setRow(setId);
    expect(set?.state).toBe("incomplete");
    expect(set?.catalogProblem).toContain("the agent did not report what it sent to the catalog");
    expect(await runRow(runId)).toMatchObject({ state: "failed" });
  });

  it("names the tape whose catalog holds rows the agent never reported, and a digest that differs", async () => {
    const { setId, result } = await backupWithCatalog();
    const altered = ENTRIES.map((e, i) =>
      i === 0 ? ([e[0], "file", 11, ...e.slice(3)] as CatalogEntry) : e,
    );
    await result({ state: "completed", catalog: [tallyOf(altered)] });
    expect((await setRow(setId))?.catalogProblem).toContain(
      `the catalog's 3 entries on tape ${BACKUP_BARCODE} differ from what the agent wrote (digest mismatch)`,
    );
  });

  it("refuses with words to rebuild a set no tape of which is in the catalog", async () => {
    const setId = await insertSet(hub, { state: "incomplete" });
    const res = await hub.request(`/api/v1/sets/${setId}/rebuild-catalog`, {
      method: "POST",
      token: await hub.tokenFor("operator"),
      json: {},
    });
    expect(res.status).toBe(409);
    expect((await errorOf(res)).message).toBe(
      `No tape of set ${setId} is in the catalog: nothing to rebuild from; scan its tapes instead`,
    );
  });

  it("adds a segment's bytes to its tape once, however often and under whatever report number it comes", async () => {
    const { agent, orderId, setUuid } = await backupWithCatalog();
    await agent.call("POST", `/orders/${orderId}/segments`, segmentOn(setUuid, 0, 2));
    await agent.call("POST", `/orders/${orderId}/segments`, segmentOn(setUuid, 0));
    const tape = await hub.ctx.db.query.tapes.findFirst({ where: eq(tapes.barcode, BACKUP_BARCODE) });
    expect(tape?.usedBytes).toBe(4096);
    expect(await hub.ctx.db.select().from(backupSetSegments)).toHaveLength(1);
  });
});

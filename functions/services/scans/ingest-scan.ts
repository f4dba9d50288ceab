import { and, eq, sql } from "drizzle-orm";
import {
  ScanSegmentDone,
  type ScanSetAnswer,
  ScanSetReport,
  type ScanTapeAnswer,
  ScanTapeReport,
} from "../../../contracts/agent-protocol.ts";
import {
  backupSetSegments,
  backupSets,
  catalogEntries,
  jobLogs,
  jobRuns,
  jobs,
  pools,
  tapes,
  type workOrders,
} from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError, conflict } from "../../errors.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";

type OrderRow = typeof workOrders.$inferSelect;
const BARCODE = /^[A-Z0-9]{1,16}$/;

function scanOnly(order: OrderRow): void {
  if (order.kind !== "scan") throw new AppError("conflict", `Order ${order.id} is not a scan`);
}

/**
 * Registers a scanned tape, or fills in what the catalog did not know about it. Nothing the
 * catalog already holds is overwritten: a tape whose catalogued uuid differs from its label is
 * refused, so two tapes are never merged into one row.
 */
export async function recordScannedTape(
  ctx: ServiceCtx,
  order: OrderRow,
  raw: unknown,
): Promise<ScanTapeAnswer> {
  scanOnly(order);
  const report = ScanTapeReport.parse(raw);
  const { label } = report;
  const barcode = report.barcode ?? (label && BARCODE.test(label.label) ? label.label : null);
  if (!barcode)
    throw new AppError(
      "validation_failed",
      `The drive reports no barcode and the tape's label ${label ? `"${label.label}"` : "is missing"} is not one; scan it in a drive that reads barcodes`,
    );
  const uuid = label?.uuid || null;
  const byBarcode = await ctx.db.query.tapes.findFirst({ where: eq(tapes.barcode, barcode) });
  const byUuid = uuid ? await ctx.db.query.tapes.findFirst({ where: eq(tapes.uuid, uuid) }) : undefined;
  if (byUuid && byUuid.barcode !== barcode)
    throw conflict(
      `Tape ${barcode}'s label has uuid ${uuid}, which the catalog holds for tape ${byUuid.barcode}; check the barcodes of both cartridges`,
    );
  if (byBarcode?.uuid && uuid && byBarcode.uuid !== uuid)
    throw conflict(
      `Tape ${barcode} is catalogued with uuid ${byBarcode.uuid} but its label says ${uuid}: it was relabelled elsewhere; delete the tape from the catalog and scan it again to take the tape's word`,
    );
  const poolId = label?.pool ? await poolByName(ctx, label.pool) : null;
  const now = ctx.now();
  const labelledAt = label ? new Date(label.timestamp * 1000) : null;
  const holdsData = report.kind !== "blank";
  if (!byBarcode) {
    const [row] = await ctx.db
      .insert(tapes)
      .values({
        barcode,
        label: label?.label ?? null,
        uuid,
        poolId,
        state: holdsData ? "active" : "blank",
        fileCount: report.filesOnTape,
        usedBytes: report.plainBytes,
        labelledAt,
        notes: foreignNote(report),
        createdAt: now,
        updatedAt: now,
      })
      .returning({ id: tapes.id });
    return { barcode, tapeId: getOrThrow(row, "Tape", barcode).id };
  }
  await ctx.db
    .update(tapes)
    .set({
      label: byBarcode.label ?? label?.label ?? null,
      uuid: byBarcode.uuid ?? uuid,
      poolId: byBarcode.poolId ?? poolId,
      state: byBarcode.state === "blank" && holdsData ? "active" : byBarcode.state,
      fileCount: Math.max(byBarcode.fileCount, report.filesOnTape),
      usedBytes: Math.max(byBarcode.usedBytes, report.plainBytes),
      labelledAt: byBarcode.labelledAt ?? labelledAt,
      notes: byBarcode.notes ?? foreignNote(report),
      updatedAt: now,
    })
    .where(eq(tapes.id, byBarcode.id));
  return { barcode, tapeId: byBarcode.id };
}

function foreignNote(report: ScanTapeReport): string | null {
  if (report.plainFiles === 0) return null;
  return report.kind === "foreign"
    ? `Not a TapeBackarr tape: ${report.plainFiles} tar file(s) found by a scan`
    : `${report.plainFiles} tape file(s) without a TOC (Go TapeBackarr or plain tar) found by a scan`;
}

async function poolByName(ctx: ServiceCtx, name: string): Promise<number> {
  const now = ctx.now();
  await ctx.db.insert(pools).values({ name, createdAt: now, updatedAt: now }).onConflictDoNothing();
  return getOrThrow(await ctx.db.query.pools.findFirst({ where: eq(pools.name, name) }), "Pool", name).id;
}

/** A set's job by the name in its TOC; a job the catalog lost comes back disabled, with no source. */
async function jobByName(ctx: ServiceCtx, name: string, poolId: number | null) {
  const now = ctx.now();
  await ctx.db
    .insert(jobs)
    .values({ name, kind: "backup", poolId, enabled: false, createdAt: now, updatedAt: now })
    .onConflictDoNothing();
  return getOrThrow(await ctx.db.query.jobs.findFirst({ where: eq(jobs.name, name) }), "Job", name).id;
}

/** Whether a set came from a scan (so later scans may add its other tapes) rather than a backup. */
async function createdByScan(ctx: ServiceCtx, set: typeof backupSets.$inferSelect): Promise<boolean> {
  if (!set.runId) return false;
  const run = await ctx.db.query.jobRuns.findFirst({ where: eq(jobRuns.id, set.runId) });
  return run?.kind === "scan";
}

/** The set whose catalog a scan order rebuilds from the tape's TOCs (rebuild-catalog), if any. */
export function rebuildOf(order: OrderRow): string | null {
  if (order.kind !== "scan") return null;
  const uuid = (order.payload as { rebuildSetUuid?: unknown }).rebuildSetUuid;
  return typeof uuid === "string" ? uuid : null;
}

/**
 * The set a scan order may add catalog rows to: one that scans created, or the one the order
 * rebuilds; never another backup's.
 */
export async function scannedSetOf(ctx: ServiceCtx, order: OrderRow, setUuid: string) {
  const set = await ctx.db.query.backupSets.findFirst({ where: eq(backupSets.uuid, setUuid) });
  if (!set || (rebuildOf(order) !== setUuid && !(await createdByScan(ctx, set))))
    throw new AppError("not_found", `Backup set ${setUuid} was not created by a scan`);
  return set;
}

/**
 * One TOC of a scanned tape: creates the set when the catalog does not know it, and answers
 * whether this tape's part of it is new. A set known from a backup is left exactly as it is.
 */
export async function recordScannedSet(
  ctx: ServiceCtx,
  order: OrderRow,
  raw: unknown,
): Promise<ScanSetAnswer> {
  scanOnly(order);
  const report = ScanSetReport.parse(raw);
  const tape = getOrThrow(
    await ctx.db.query.tapes.findFirst({ where: eq(tapes.barcode, report.tapeBarcode) }),
    "Tape",
    report.tapeBarcode,
  );
  const existing = await ctx.db.query.backupSets.findFirst({ where: eq(backupSets.uuid, report.setUuid) });
  if (existing && rebuildOf(order) === existing.uuid) {
    await ctx.db
      .update(backupSetSegments)
      .set({ catalogChecked: false })
      .where(and(eq(backupSetSegments.setId, existing.id), eq(backupSetSegments.sequence, report.sequence)));
    return { status: "rebuild", setId: existing.id };
  }
  if (existing) {
    const segment = await ctx.db.query.backupSetSegments.findFirst({
      where: and(eq(backupSetSegments.setId, existing.id), eq(backupSetSegments.sequence, report.sequence)),
    });
    const status = segment || !(await createdByScan(ctx, existing)) ? "known" : "new-segment";
    return { status, setId: existing.id };
  }
  const now = ctx.now();
  const [created] = await ctx.db
    .insert(backupSets)
    .values({
      uuid: report.setUuid,
      jobId: await jobByName(ctx, report.job.name, tape.poolId),
      runId: order.runId,
      poolId: tape.poolId,
      // The TOC does not say; an incremental scanned back reads as a full of what it holds.
      backupType: "full",
      state: "incomplete",
      compression: report.compression,
      encryption: report.encryption.algorithm,
      encryptionKeyFingerprint: report.encryption.keyFingerprint,
      blockSize: report.blockSize,
      startedAt: new Date(report.startedAt),
      createdAt: now,
    })
    .onConflictDoNothing()
    .returning({ id: backupSets.id });
  if (!created) return recordScannedSet(ctx, order, raw); // another hub instance created it meanwhile
  return { status: "new-set", setId: created.id };
}

/**
 * Every catalog chunk of one scanned TOC has arrived: records the segment, then works out the
 * set's state from all the segments scans have seen (complete once every tape up to the one whose
 * TOC does not continue is in, each complete). Re-sent, it changes nothing.
 */
export async function finishScannedSegment(ctx: ServiceCtx, order: OrderRow, raw: unknown): Promise<void> {
  scanOnly(order);
  const report = ScanSegmentDone.parse(raw);
  const set = await scannedSetOf(ctx, order, report.setUuid);
  const tape = getOrThrow(
    await ctx.db.query.tapes.findFirst({ where: eq(tapes.barcode, report.tapeBarcode) }),
    "Tape",
    report.tapeBarcode,
  );
  const now = ctx.now();
  await ctx.db
    .insert(backupSetSegments)
    .values({
      setId: set.id,
      sequence: report.sequence,
      tapeId: tape.id,
      fileNumber: report.fileNumber,
      streamOffset: report.streamOffset,
      bytes: report.dataBytes,
      blocks: Math.ceil(report.dataBytes / report.blockSize),
      complete: report.complete,
      createdAt: now,
    })
    .onConflictDoNothing();
  // Only the last TOC of a set does not continue: its finish time is the set's.
  const finishedAt = set.finishedAt ?? (report.continues ? null : new Date(report.finishedAt));
  await checkScannedSegment(ctx, order, set, report);
  const segments = await ctx.db.query.backupSetSegments.findMany({
    where: eq(backupSetSegments.setId, set.id),
  });
  const last = Math.max(...segments.map((s) => s.sequence));
  const rebuilt = rebuildOf(order) === set.uuid;
  const whole =
    finishedAt !== null &&
    segments.length === last + 1 &&
    segments.every((s) => s.complete && (!rebuilt || s.catalogChecked));
  const [totals] = await ctx.db
    .select({ n: sql<number>`count(*)`, bytes: sql<number>`coalesce(sum(${catalogEntries.size}), 0)` })
    .from(catalogEntries)
    .where(eq(catalogEntries.setId, set.id));
  await ctx.db
    .update(backupSets)
    .set({
      state: whole ? "complete" : "incomplete",
      ...(rebuilt ? { catalogProblem: whole ? null : await rebuildLeft(ctx, set.id, segments) } : {}),
      finishedAt,
      fileCount: totals?.n ?? 0,
      sourceBytes: totals?.bytes ?? 0,
      tapeBytes: segments.reduce((sum, s) => sum + s.bytes, 0),
    })
    .where(eq(backupSets.id, set.id));
  const [onTape] = await ctx.db
    .select({ bytes: sql<number>`coalesce(sum(${backupSetSegments.bytes}), 0)` })
    .from(backupSetSegments)
    .where(eq(backupSetSegments.tapeId, tape.id));
  await ctx.db
    .update(tapes)
    .set({
      usedBytes: Math.max(tape.usedBytes, onTape?.bytes ?? 0),
      fileCount: Math.max(tape.fileCount, report.fileNumber + 2),
      // A set continues on the next tape only when this one filled up.
      state:
        report.continues && tape.state === "active" ? "full" : tape.state === "blank" ? "active" : tape.state,
      firstWrittenAt: earliest(tape.firstWrittenAt, new Date(report.startedAt)),
      lastWrittenAt: latest(tape.lastWrittenAt, new Date(report.finishedAt)),
      updatedAt: now,
    })
    .where(eq(tapes.id, tape.id));
}

/**
 * A scanned (or rebuilt) segment's catalog is checked against its TOC: the entries whose header
 * lies on that tape (deletion markers, which no TOC holds, aside) must number what the TOC lists.
 */
async function checkScannedSegment(
  ctx: ServiceCtx,
  order: OrderRow,
  set: typeof backupSets.$inferSelect,
  report: ScanSegmentDone,
): Promise<void> {
  const [held] = await ctx.db
    .select({ n: sql<number>`count(*)` })
    .from(catalogEntries)
    .where(
      and(
        eq(catalogEntries.setId, set.id),
        eq(catalogEntries.segment, report.sequence),
        eq(catalogEntries.deleted, false),
      ),
    );
  const count = held?.n ?? 0;
  const checked = count === report.entries;
  await ctx.db
    .update(backupSetSegments)
    .set({ catalogChecked: checked, catalogEntries: report.entries })
    .where(and(eq(backupSetSegments.setId, set.id), eq(backupSetSegments.sequence, report.sequence)));
  if (!order.runId) return;
  await ctx.db.insert(jobLogs).values({
    runId: order.runId,
    at: ctx.now(),
    level: checked ? "info" : "error",
    message: checked
      ? `set ${set.id}, tape ${report.tapeBarcode}: the catalog holds all ${report.entries.toLocaleString("en-US")} entries of the tape's TOC`
      : `set ${set.id}, tape ${report.tapeBarcode}: the catalog holds ${count.toLocaleString("en-US")} entries, the tape's TOC ${report.entries.toLocaleString("en-US")}`,
    path: null,
  });
}

/** What a rebuild still has to do, in words, for the set's catalog problem. */
async function rebuildLeft(
  ctx: ServiceCtx,
  setId: number,
  segments: (typeof backupSetSegments.$inferSelect)[],
): Promise<string> {
  const left = segments.filter((s) => !s.catalogChecked);
  const barcodes = await Promise.all(
    left.map(async (s) => (await ctx.db.query.tapes.findFirst({ where: eq(tapes.id, s.tapeId) }))?.barcode),
  );
  return left.length > 0
    ? `the catalog of tape(s) ${barcodes.join(", ")} is not rebuilt yet; rebuild the set's catalog (Rebuild catalog on set ${setId})`
    : `set ${setId} is not whole on its tapes (a tape missing, or a TOC that says the set was cut short)`;
}

const earliest = (a: Date | null, b: Date) => (a && a < b ? a : b);
const latest = (a: Date | null, b: Date) => (a && a > b ? a : b);

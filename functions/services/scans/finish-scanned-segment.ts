import { and, eq, sql } from "drizzle-orm";
import { ScanSegmentDone } from "../../../contracts/agent-protocol.ts";
import { backupSetSegments, backupSets, catalogEntries, jobLogs, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { type OrderRow, rebuildOf, scanOnly } from "./scan-order.ts";
import { scannedSetOf } from "./scanned-set-of.ts";

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

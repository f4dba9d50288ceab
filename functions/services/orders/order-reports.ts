import { and, eq, lt, or, sql } from "drizzle-orm";
import {
  CatalogChunkHeader,
  LogLines,
  OrderResult,
  type ProgressAnswer,
  ProgressReport,
  RestoreFileResults,
  SegmentReport,
  type TapeTarget,
} from "../../../contracts/agent-protocol.ts";
import { jsonParts } from "../../db/limits.ts";
import {
  backupSetSegments,
  backupSets,
  catalogChunks,
  jobLogs,
  jobRuns,
  orderReportReceipts,
  tapes,
  workOrders,
} from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { closeRun, recordLateResult } from "../runs/close-run.ts";
import { dispatchQueuedRuns } from "../runs/dispatch-runs.ts";
import { listSpareTapes } from "../runs/spare-tapes.ts";
import { rebuildOf, scannedSetOf } from "../scans/ingest-scan.ts";
import { applyEjectResult } from "../tapes/apply-eject-result.ts";
import { applyLabelResult } from "../tapes/apply-label-result.ts";
import { recordVerifyResult } from "../verifies/record-verify.ts";
import { catalogRows } from "./catalog-rows.ts";
import { closeBackupSet } from "./close-backup-set.ts";

type OrderRow = typeof workOrders.$inferSelect;

/** The agent's own order, or a 404 (an agent can never touch another agent's order). */
export async function orderOf(ctx: ServiceCtx, agentId: string, orderId: string): Promise<OrderRow> {
  const order = await ctx.db.query.workOrders.findFirst({
    where: and(eq(workOrders.id, orderId), eq(workOrders.agentId, agentId)),
  });
  if (!order) throw new AppError("not_found", `Work order ${orderId} does not exist for this agent`);
  return order;
}

async function setOf(ctx: ServiceCtx, order: OrderRow, setUuid: string) {
  if (order.kind === "scan") return scannedSetOf(ctx, order, setUuid);
  const set = await ctx.db.query.backupSets.findFirst({ where: eq(backupSets.uuid, setUuid) });
  if (!set || set.runId !== order.runId)
    throw new AppError("not_found", `Backup set ${setUuid} is not part of order ${order.id}`);
  return set;
}

export async function acknowledgeOrder(ctx: ServiceCtx, order: OrderRow): Promise<void> {
  const now = ctx.now();
  await ctx.db
    .update(workOrders)
    .set({ state: "acknowledged" })
    .where(and(eq(workOrders.id, order.id), eq(workOrders.state, "delivered")));
  if (order.runId) {
    await ctx.db
      .update(jobRuns)
      .set({ state: "running", startedAt: now, progressAt: now })
      .where(and(eq(jobRuns.id, order.runId), eq(jobRuns.state, "queued")));
  }
}

/** Applies a progress report unless a newer one already was; answers with the operator's wish. */
export async function reportProgress(
  ctx: ServiceCtx,
  order: OrderRow,
  raw: unknown,
  /** Signs the tapes offered to a run waiting for one (signTapeOffer with the hub's key). */
  signOffer: (tapes: TapeTarget[]) => Promise<string>,
): Promise<ProgressAnswer> {
  const report = ProgressReport.parse(raw);
  if (!order.runId) return { control: "continue" };
  const tape = report.tapeBarcode
    ? await ctx.db.query.tapes.findFirst({ where: eq(tapes.barcode, report.tapeBarcode) })
    : undefined;
  await ctx.db
    .update(jobRuns)
    .set({
      state: report.state,
      progressSeq: report.seq,
      bytesDone: report.bytesDone,
      bytesTotal: report.bytesTotal,
      filesDone: report.filesDone,
      filesTotal: report.filesTotal,
      totalsEstimated: report.totalsEstimated,
      currentPath: report.currentPath,
      rateBytesPerSec: report.rateBytesPerSec === null ? null : Math.round(report.rateBytesPerSec),
      etaSeconds: report.etaSeconds,
      operatorMessage: report.message,
      progressAt: ctx.now(),
      ...(tape ? { currentTapeId: tape.id } : {}),
    })
    .where(
      and(
        eq(jobRuns.id, order.runId),
        lt(jobRuns.progressSeq, report.seq),
        sql`${jobRuns.finishedAt} is null`,
      ),
    );
  const run = await ctx.db.query.jobRuns.findFirst({ where: eq(jobRuns.id, order.runId) });
  const control = run?.control ?? "continue";
  const poolId = (order.payload as { kind?: string; pool?: { id?: number } }).pool?.id;
  if (!run || report.state !== "waiting-for-tape" || order.kind !== "backup" || !poolId) return { control };
  const spare = await listSpareTapes(ctx, run, poolId);
  return spare.length > 0 ? { control, tapeOffer: await signOffer(spare) } : { control };
}

export async function appendLogs(ctx: ServiceCtx, order: OrderRow, raw: unknown): Promise<void> {
  const { lines, seq } = LogLines.parse(raw);
  if (!order.runId) return;
  const runId = order.runId;
  const warnings = lines.filter((l) => l.level === "warn" || l.level === "error").length;
  await onceAtMost(ctx, order, seq, [
    ctx.db
      .update(jobRuns)
      .set({ warnings: sql`${jobRuns.warnings} + ${warnings}` })
      .where(eq(jobRuns.id, runId)),
    ...logInserts(
      ctx,
      runId,
      lines.map((l) => [new Date(l.at).getTime(), l.level, l.message, l.path ?? null]),
    ),
  ]);
}

type LogRow = [at: number, level: string, message: string, path: string | null];

/** Inserts a run's log lines as JSON parts (one bound value each, D1's limits), for one batch. */
function logInserts(ctx: ServiceCtx, runId: number, rows: LogRow[]): Statement[] {
  return jsonParts(rows).map((json) =>
    ctx.db.run(sql`insert into job_logs (run_id, at, level, message, path)
      select ${runId}, value->>0, value->>1, value->>2, value->>3 from json_each(${json})`),
  );
}

type Statement = Parameters<ServiceCtx["db"]["batch"]>[0][number];

/**
 * Applies a report's statements with its receipt, in one atomic batch: a report the agent sends
 * again (its first try may have arrived) fails on the receipt's key and changes nothing.
 */
async function onceAtMost(
  ctx: ServiceCtx,
  order: OrderRow,
  seq: number | undefined,
  statements: [Statement, ...Statement[]],
): Promise<void> {
  if (seq === undefined) {
    await ctx.db.batch(statements);
    return;
  }
  try {
    await ctx.db.batch([
      ctx.db.insert(orderReportReceipts).values({ orderId: order.id, seq, receivedAt: ctx.now() }),
      ...statements,
    ]);
  } catch (error) {
    if (!String(error).includes("UNIQUE")) throw error;
  }
}

/** Per-file outcomes of a restore, kept as the run's log lines (failures as errors). */
export async function recordRestoreFiles(ctx: ServiceCtx, order: OrderRow, raw: unknown): Promise<void> {
  const { files } = RestoreFileResults.parse(raw);
  if (!order.runId) return;
  const runId = order.runId;
  // Batches are re-sent until the hub answers; a path already reported for this run is not logged twice.
  const paths = jsonParts(files.map((f) => f.path)).map(
    (json) => sql`${jobLogs.path} in (select value from json_each(${json}))`,
  );
  const known = await ctx.db
    .select({ path: jobLogs.path })
    .from(jobLogs)
    .where(and(eq(jobLogs.runId, runId), or(...paths)));
  const seen = new Set(known.map((k) => k.path));
  const fresh = files.filter((f) => !seen.has(f.path));
  if (fresh.length === 0) return;
  const at = ctx.now().getTime();
  const failed = fresh.filter((f) => f.outcome === "failed").length;
  await ctx.db.batch([
    ctx.db
      .update(jobRuns)
      .set({ warnings: sql`${jobRuns.warnings} + ${failed}` })
      .where(eq(jobRuns.id, runId)),
    ...logInserts(
      ctx,
      runId,
      fresh.map(
        (f): LogRow => [
          at,
          f.outcome === "failed" ? "error" : "info",
          f.outcome === "failed"
            ? `restore failed: ${f.error ?? "unknown error"}`
            : f.outcome === "renamed"
              ? `restored as ${f.writtenTo}`
              : f.outcome,
          f.path,
        ],
      ),
    ),
  ]);
}

/**
 * Ingests one catalog chunk. The chunk marker and its rows go in one atomic batch, so a chunk
 * is either wholly in or not at all, and a re-sent chunk (same set, same seq) changes nothing.
 * Rows travel to SQLite as one JSON parameter expanded by json_each: one statement per chunk
 * instead of one bound value per column per row, the dominant cost of the drivers.
 */
export async function ingestCatalogChunk(
  ctx: ServiceCtx,
  order: OrderRow,
  raw: unknown,
): Promise<{ duplicate: boolean; entries: number }> {
  const chunk = CatalogChunkHeader.parse(raw);
  const rows = catalogRows(chunk.entries);
  const set = await setOf(ctx, order, chunk.setUuid);
  // A rebuild from the tape's TOC adds only what the catalog lacks: the rows it holds keep what a
  // TOC does not carry (device and FIFO types, the hash of a file cut by the end of a tape). That
  // match makes a re-sent chunk a no-op; no chunk marker, as the TOC's chunk numbers (scanChunkSeq)
  // are ones the backup's own chunks may already have used, and a second rebuild must read again.
  const rebuild = rebuildOf(order) === chunk.setUuid;
  // One statement per part of at most MAX_JSON_VALUE_BYTES of JSON (D1's value limit), all in the
  // chunk's one batch: a chunk of MAX_REPORT_BYTES is still wholly in or not at all.
  const [first, ...more] = jsonParts(rows).map((json) =>
    ctx.db.run(sql`insert into catalog_entries
    (set_id, dir, name, type, size, mode, uid, gid, mtime, link_target, sha256, offset, segment, end_segment, deleted)
    select ${set.id}, value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7,
           value->>8, value->>9, value->>10, value->>11, value->>12, value->>13
    from json_each(${json}) ${
      rebuild
        ? sql`where not exists (select 1 from catalog_entries e where e.set_id = ${set.id}
            and e.dir = value->>0 and e.name = value->>1 and e.offset = value->>10)`
        : sql``
    }`),
  );
  const insertRows: [Statement, ...Statement[]] = [first as Statement, ...more];
  if (rebuild) {
    await ctx.db.batch(insertRows);
    return { duplicate: false, entries: rows.length };
  }
  const seen = await ctx.db.query.catalogChunks.findFirst({
    where: and(eq(catalogChunks.setId, set.id), eq(catalogChunks.sequence, chunk.seq)),
  });
  if (seen) return { duplicate: true, entries: seen.entries };
  try {
    await ctx.db.batch([
      ctx.db
        .insert(catalogChunks)
        .values({ setId: set.id, sequence: chunk.seq, entries: rows.length, receivedAt: ctx.now() }),
      ...insertRows,
    ]);
  } catch (error) {
    if (String(error).includes("UNIQUE")) return { duplicate: true, entries: rows.length };
    throw error;
  }
  return { duplicate: false, entries: rows.length };
}

/** Records that a set's data file and TOC are closed on a tape, and where that tape now ends. */
export async function recordSegment(ctx: ServiceCtx, order: OrderRow, raw: unknown): Promise<void> {
  const report = SegmentReport.parse(raw);
  const set = await setOf(ctx, order, report.setUuid);
  const tape = await ctx.db.query.tapes.findFirst({ where: eq(tapes.barcode, report.tapeBarcode) });
  if (!tape) throw new AppError("not_found", `Tape ${report.tapeBarcode} is not in the catalog`);
  const known = await ctx.db.query.backupSetSegments.findFirst({
    where: and(eq(backupSetSegments.setId, set.id), eq(backupSetSegments.sequence, report.sequence)),
  });
  // The same segment reported again adds its bytes to the tape once.
  const addedBytes = report.bytes - (known && known.tapeId === tape.id ? known.bytes : 0);
  const now = ctx.now();
  const values = {
    tapeId: tape.id,
    fileNumber: report.fileNumber,
    streamOffset: report.streamOffset,
    bytes: report.bytes,
    blocks: report.blocks,
    complete: report.complete,
  };
  await onceAtMost(ctx, order, report.seq, [
    ctx.db
      .insert(backupSetSegments)
      .values({ setId: set.id, sequence: report.sequence, createdAt: now, ...values })
      .onConflictDoUpdate({ target: [backupSetSegments.setId, backupSetSegments.sequence], set: values }),
    ctx.db
      .update(tapes)
      .set({
        fileCount: report.nextFile,
        usedBytes: sql`${tapes.usedBytes} + ${addedBytes}`,
        state: report.tapeFull ? "full" : "active",
        firstWrittenAt: tape.firstWrittenAt ?? now,
        lastWrittenAt: now,
        updatedAt: now,
      })
      .where(eq(tapes.id, tape.id)),
  ]);
}

/**
 * Closes the order, its run and its set. A backup's set is complete only when the agent says so
 * and the catalog reconciles with what it wrote; a backup whose catalog does not is failed, with
 * the tape and the count named.
 */
export async function finishOrder(ctx: ServiceCtx, order: OrderRow, raw: unknown): Promise<void> {
  const result = OrderResult.parse(raw);
  const now = ctx.now();
  await ctx.db
    .update(workOrders)
    .set({ state: result.state.startsWith("completed") ? "done" : "failed", finishedAt: now, result })
    .where(eq(workOrders.id, order.id));
  if (order.kind === "label" && result.state === "completed") await applyLabelResult(ctx, order.payload);
  if (order.kind === "eject" && result.state === "completed") await applyEjectResult(ctx, order.payload);
  if (!order.runId) return dispatchQueuedRuns(ctx);
  const run = await ctx.db.query.jobRuns.findFirst({ where: eq(jobRuns.id, order.runId) });
  if (!run) return;
  // The hub gave up on a silent agent (the order expired); what the agent says now is kept.
  const late = run.finishedAt !== null;
  if (late && (order.state !== "expired" || run.state !== "interrupted")) return;
  const closing =
    run.setId && run.kind === "backup" ? await closeBackupSet(ctx, run.id, run.setId, result) : null;
  // A backup whose catalog does not hold what it wrote failed, whatever the agent saw.
  const outcome =
    closing?.problem && result.state.startsWith("completed")
      ? { ...result, state: "failed" as const, error: closing.problem, retryable: false }
      : result;
  if (late) await recordLateResult(ctx, run, outcome);
  else await closeRun(ctx, run, outcome);
  if (run.setId && run.kind === "verify") await recordVerifyResult(ctx, run.setId, result);
  await dispatchQueuedRuns(ctx);
}

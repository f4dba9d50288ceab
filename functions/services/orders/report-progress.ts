import { and, eq, lt, sql } from "drizzle-orm";
import { type ProgressAnswer, ProgressReport, type TapeTarget } from "../../../contracts/agent-protocol.ts";
import { jobRuns, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { listSpareTapes } from "../runs/spare-tapes.ts";
import { recordSample } from "../runs/throughput-samples.ts";
import type { OrderRow } from "./order-of.ts";

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
  const before = await ctx.db.query.jobRuns.findFirst({
    where: eq(jobRuns.id, order.runId),
    columns: { startedAt: true, throughputSamples: true },
  });
  const now = ctx.now();
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
      progressAt: now,
      throughputSamples: recordSample(
        before?.throughputSamples,
        { startedAt: before?.startedAt ?? null },
        report.bytesDone,
        now,
      ),
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

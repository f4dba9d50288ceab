import { and, eq, lt, sql } from "drizzle-orm";
import { type ProgressAnswer, ProgressReport, type TapeTarget } from "../../../contracts/agent-protocol.ts";
import { jobRuns, jobs, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { eventInsert } from "../events/record-event.ts";
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
  const before = await ctx.db.query.jobRuns.findFirst({ where: eq(jobRuns.id, order.runId) });
  const now = ctx.now();
  const update = ctx.db
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
      ...(report.streaming ? { streaming: report.streaming } : {}),
    })
    .where(
      and(
        eq(jobRuns.id, order.runId),
        lt(jobRuns.progressSeq, report.seq),
        sql`${jobRuns.finishedAt} is null`,
      ),
    );
  // A run that starts waiting for a tape tells the operator once, with the agent's words.
  const starts =
    before && !before.finishedAt && before.state !== "waiting-for-tape" && before.progressSeq < report.seq;
  if (starts && report.state === "waiting-for-tape") {
    const job = before.jobId
      ? await ctx.db.query.jobs.findFirst({ where: eq(jobs.id, before.jobId) })
      : undefined;
    const name = job?.name ?? "A backup";
    await ctx.db.batch([
      update,
      eventInsert(ctx, {
        kind: "tape.needed",
        text: `${name} (run #${before.id}) is waiting for a tape${report.message ? `: ${report.message}` : "."}`,
        action: "Insert a writable tape of the job's pool into the drive; the run continues by itself.",
        href: `/runs/${before.id}`,
        runId: before.id,
        jobId: before.jobId,
        agentId: before.agentId,
        driveId: before.driveId,
        poolId: job?.poolId ?? null,
        dedupeKey: `tape.needed:${before.id}:${report.seq}`,
      }),
    ]);
  } else await update;
  const run = await ctx.db.query.jobRuns.findFirst({ where: eq(jobRuns.id, order.runId) });
  const control = run?.control ?? "continue";
  const poolId = (order.payload as { kind?: string; pool?: { id?: number } }).pool?.id;
  if (!run || report.state !== "waiting-for-tape" || order.kind !== "backup" || !poolId) return { control };
  const spare = await listSpareTapes(ctx, run, poolId);
  return spare.length > 0 ? { control, tapeOffer: await signOffer(spare) } : { control };
}

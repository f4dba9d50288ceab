import { and, asc, desc, eq, gt, inArray } from "drizzle-orm";
import { z } from "zod";
import { backupSets, jobLogs, jobRuns, workOrders } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { conflict } from "../../errors.ts";
import { getOrThrow, type PageRequest, pageWhere, toPage } from "../shared.ts";
import { startVerify } from "../verifies/start-verify.ts";
import { queueRun } from "./queue-run.ts";
import { type RunActions, refusal, runActions } from "./run-actions.ts";

/** The run, once `runActions` allows `verb` on it; a conflict in the operator's words otherwise. */
async function runAllowing(ctx: ServiceCtx, id: number, verb: keyof RunActions) {
  const run = await getRun(ctx, id);
  if (!runActions(run)[verb]) throw conflict(refusal(verb, run));
  return run;
}

export const runFilter = z.object({
  jobId: z.coerce.number().int().positive().optional(),
  state: z.string().max(32).optional(),
});

export async function listRuns(ctx: ServiceCtx, page: PageRequest, filter: z.output<typeof runFilter>) {
  const rows = await ctx.db.query.jobRuns.findMany(
    pageWhere(
      jobRuns.id,
      page,
      "desc",
      filter.jobId ? eq(jobRuns.jobId, filter.jobId) : undefined,
      filter.state ? eq(jobRuns.state, filter.state as "queued") : undefined,
    ),
  );
  return toPage(rows, page);
}

export async function getRun(ctx: ServiceCtx, id: number) {
  return getOrThrow(await ctx.db.query.jobRuns.findFirst({ where: eq(jobRuns.id, id) }), "Run", id);
}

export async function runLogs(ctx: ServiceCtx, id: number, after: number | undefined, limit: number) {
  await getRun(ctx, id);
  const items = await ctx.db.query.jobLogs.findMany({
    where: and(eq(jobLogs.runId, id), after === undefined ? undefined : gt(jobLogs.id, after)),
    orderBy: asc(jobLogs.id),
    limit,
  });
  return { items, nextCursor: items.length === limit ? (items.at(-1)?.id ?? null) : null };
}

/**
 * Cancel: a run not yet on an agent ends at once; a running one is asked to stop cleanly (the
 * agent writes a file mark and a TOC of what it wrote and reports the set incomplete).
 */
export async function cancelRun(ctx: ServiceCtx, id: number) {
  const run = await runAllowing(ctx, id, "cancel");
  const now = ctx.now();
  const notStarted = run.state === "queued" && !run.startedAt;
  if (notStarted) {
    await ctx.db.batch([
      ctx.db
        .update(jobRuns)
        .set({ state: "cancelled", finishedAt: now, control: "cancel" })
        .where(eq(jobRuns.id, id)),
      ctx.db
        .update(workOrders)
        .set({ state: "cancelled", finishedAt: now })
        .where(and(eq(workOrders.runId, id), inArray(workOrders.state, ["pending", "delivered"]))),
    ]);
    // Only a backup run owns its set; a restore or verify run merely reads it.
    if (run.setId && run.kind === "backup")
      await ctx.db
        .update(backupSets)
        .set({ state: "failed", finishedAt: now })
        .where(eq(backupSets.id, run.setId));
  } else {
    await ctx.db.update(jobRuns).set({ control: "cancel" }).where(eq(jobRuns.id, id));
  }
  return getRun(ctx, id);
}

export async function pauseRun(ctx: ServiceCtx, id: number) {
  await runAllowing(ctx, id, "pause");
  await ctx.db.update(jobRuns).set({ control: "pause" }).where(eq(jobRuns.id, id));
  return getRun(ctx, id);
}

export async function resumeRun(ctx: ServiceCtx, id: number) {
  await runAllowing(ctx, id, "resume");
  await ctx.db.update(jobRuns).set({ control: "continue" }).where(eq(jobRuns.id, id));
  return getRun(ctx, id);
}

/** A failed, interrupted or cancelled run is retried as a new run of the same job. */
export async function retryRun(ctx: ServiceCtx, id: number, triggeredBy: string) {
  const run = await getRun(ctx, id);
  if (!["failed", "interrupted", "cancelled"].includes(run.state) || !run.finishedAt) {
    throw conflict(`Run ${id} is ${run.state}; only failed, interrupted or cancelled runs can be retried`);
  }
  // A verify is retried on the same set (its job may be the backup job the set came from).
  if (run.kind === "verify" && run.setId)
    return (await startVerify(ctx, run.setId, triggeredBy, { jobId: run.jobId, retryOf: run.id })).run;
  // A restore, scan or label was planned for the drives and tapes of its moment: plan it anew.
  if (run.kind !== "backup")
    throw conflict(
      `Run ${id} is a ${run.kind}; start it again from where it was started (the ${run.kind === "restore" ? "Restore page" : "tape or agent page"}), so it is planned for where the tapes are now`,
    );
  return queueRun(ctx, run.jobId, triggeredBy, run.id);
}

export async function latestRuns(ctx: ServiceCtx, jobId: number, limit = 20) {
  return ctx.db.query.jobRuns.findMany({ where: eq(jobRuns.jobId, jobId), orderBy: desc(jobRuns.id), limit });
}

import { and, eq, isNotNull, sql } from "drizzle-orm";
import { jobLogs, jobRuns } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { eventInsert } from "../events/record-event.ts";
import { runFinishedEvent } from "../events/run-finished-event.ts";
import { planRetry } from "./plan-retry.ts";
import { finalFigures, type Result, type RunRow, stateOf } from "./run-result.ts";

/**
 * A restore with a file not restored failed, whatever an (older) agent called it: the operator
 * asked for that file and does not have it. The files come from the restore-files reports.
 */
async function restoreFailures(ctx: ServiceCtx, run: RunRow): Promise<number> {
  if (run.kind !== "restore") return 0;
  const [row] = await ctx.db
    .select({ n: sql<number>`count(*)` })
    .from(jobLogs)
    .where(and(eq(jobLogs.runId, run.id), eq(jobLogs.level, "error"), isNotNull(jobLogs.path)));
  return Number(row?.n ?? 0);
}

/** Ends a run with its order's result and its event, and plans its automatic retry when its job has one. */
export async function closeRun(ctx: ServiceCtx, run: RunRow, result: Result): Promise<void> {
  let state = stateOf(run, result);
  let error = result.error;
  const notRestored = state.startsWith("completed") ? await restoreFailures(ctx, run) : 0;
  if (notRestored > 0) {
    state = "failed";
    error = `${notRestored} file${notRestored === 1 ? " was" : "s were"} not restored (the run's log names each)${error ? `: ${error}` : ""}`;
  }
  const event = await runFinishedEvent(ctx, run, state, error);
  const close = ctx.db
    .update(jobRuns)
    .set({
      state,
      finishedAt: ctx.now(),
      error,
      control: "continue",
      ...finalFigures(result),
    })
    .where(eq(jobRuns.id, run.id));
  // The run's end and the event that tells the operator are written together.
  await (event ? ctx.db.batch([close, eventInsert(ctx, event)]) : close);
  await planRetry(ctx, { ...run, state }, result.retryable);
}

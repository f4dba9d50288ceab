import { and, eq, isNotNull, sql } from "drizzle-orm";
import type { OrderResult } from "../../../contracts/agent-protocol.ts";
import { jobLogs, jobRuns } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { cancelRetry, planRetry } from "./auto-retry.ts";

type RunRow = typeof jobRuns.$inferSelect;
type Result = ReturnType<typeof OrderResult.parse>;

/**
 * The figures the result says were done. On completion they are also the totals: the progress
 * estimate gives way to what went to tape (or was restored), never more than happened.
 */
function finalFigures(result: Result): Partial<typeof jobRuns.$inferInsert> {
  const { files, sourceBytes } = result.summary;
  const completed = result.state.startsWith("completed");
  const figures: Partial<typeof jobRuns.$inferInsert> = {};
  if (files !== undefined) {
    figures.filesDone = files;
    if (completed) figures.filesTotal = files;
  }
  if (sourceBytes !== undefined) {
    figures.bytesDone = sourceBytes;
    if (completed) figures.bytesTotal = sourceBytes;
  }
  if (completed) {
    figures.etaSeconds = 0;
    if (files !== undefined && sourceBytes !== undefined) figures.totalsEstimated = false;
  }
  return figures;
}

function stateOf(run: RunRow, result: Result): RunRow["state"] {
  const warned = result.state === "completed" && (run.warnings > 0 || (result.summary.warnings ?? 0) > 0);
  return warned ? "completed-with-warnings" : result.state;
}

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

/** Ends a run with its order's result, and plans its automatic retry when its job has one. */
export async function closeRun(ctx: ServiceCtx, run: RunRow, result: Result): Promise<void> {
  let state = stateOf(run, result);
  let error = result.error;
  const notRestored = state.startsWith("completed") ? await restoreFailures(ctx, run) : 0;
  if (notRestored > 0) {
    state = "failed";
    error = `${notRestored} file${notRestored === 1 ? " was" : "s were"} not restored (the run's log names each)${error ? `: ${error}` : ""}`;
  }
  await ctx.db
    .update(jobRuns)
    .set({
      state,
      finishedAt: ctx.now(),
      error,
      control: "continue",
      ...finalFigures(result),
    })
    .where(eq(jobRuns.id, run.id));
  await planRetry(ctx, { ...run, state }, result.retryable);
}

/**
 * A result for a run the hub already marked interrupted (its agent fell silent): the run takes
 * what the agent reports, its log says so, and a retry not yet queued is called off when the
 * agent's run completed after all.
 */
export async function recordLateResult(ctx: ServiceCtx, run: RunRow, result: Result): Promise<void> {
  const state = stateOf(run, result);
  const { files, sourceBytes } = result.summary;
  const figures = [
    files === undefined ? null : `${files.toLocaleString("en-US")} files`,
    sourceBytes === undefined ? null : `${sourceBytes.toLocaleString("en-US")} bytes`,
  ].filter(Boolean);
  const completed = state.startsWith("completed");
  await ctx.db.batch([
    ctx.db
      .update(jobRuns)
      .set({ state, finishedAt: ctx.now(), error: result.error, ...finalFigures(result) })
      .where(eq(jobRuns.id, run.id)),
    ctx.db.insert(jobLogs).values({
      runId: run.id,
      at: ctx.now(),
      level: completed ? "info" : "warn",
      message:
        `the agent reported this run late, after the hub had marked it interrupted: ${state}` +
        (figures.length > 0 ? ` (${figures.join(", ")})` : "") +
        (result.error ? `: ${result.error}` : ""),
      path: null,
    }),
  ]);
  if (completed) await cancelRetry(ctx, run.id, "the agent reported the run completed");
}

import { eq } from "drizzle-orm";
import { jobLogs, jobRuns } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { cancelRetry } from "./cancel-retry.ts";
import { finalFigures, type Result, type RunRow, stateOf } from "./run-result.ts";

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

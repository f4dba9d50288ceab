import { jobLogs } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";

/** Who queues scheduled runs and their automatic retries. */
export const SCHEDULER = "scheduler";

/** A line in the run's log saying what the retry logic did and when the run goes again. */
export async function log(ctx: ServiceCtx, runId: number, level: "info" | "warn", message: string) {
  await ctx.db.insert(jobLogs).values({ runId, at: ctx.now(), level, message, path: null });
}

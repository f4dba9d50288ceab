import { and, eq, isNotNull, lte } from "drizzle-orm";
import { jobRuns, jobs } from "../../db/schema/index.ts";
import type { Logger, ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { log, SCHEDULER } from "./auto-retry.ts";
import { queueRun } from "./queue-run.ts";

/** Queues every retry that is due; each is claimed conditionally, so two hubs queue it once. */
export async function queueDueRetries(ctx: ServiceCtx, logger: Logger): Promise<number[]> {
  const due = await ctx.db.query.jobRuns.findMany({
    where: and(isNotNull(jobRuns.retryAt), lte(jobRuns.retryAt, ctx.now())),
    limit: 100,
  });
  const queued: number[] = [];
  for (const run of due) {
    const claimed = await ctx.db
      .update(jobRuns)
      .set({ retryAt: null })
      .where(and(eq(jobRuns.id, run.id), eq(jobRuns.retryAt, run.retryAt as Date)))
      .returning({ id: jobRuns.id });
    if (claimed.length === 0) continue;
    const job = await ctx.db.query.jobs.findFirst({ where: eq(jobs.id, run.jobId) });
    if (!job?.enabled) {
      await log(ctx, run.id, "warn", "automatic retry not queued: the job is disabled");
      continue;
    }
    try {
      const retry = await queueRun(ctx, run.jobId, SCHEDULER, run.id, run.backupType ?? undefined);
      queued.push(retry.id);
      await log(ctx, run.id, "info", `retry queued as run ${retry.id}`);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      // The job's next slot already runs, or the job is gone or changed: say so and move on.
      logger.warn({ runId: run.id }, error.message);
      await log(ctx, run.id, "warn", `automatic retry not queued: ${error.message}`);
    }
  }
  return queued;
}

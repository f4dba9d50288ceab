import { and, eq, isNotNull, lte } from "drizzle-orm";
import { jobLogs, jobRuns, jobs } from "../../db/schema/index.ts";
import type { Logger, ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { queueRun } from "./queue-run.ts";

type RunRow = typeof jobRuns.$inferSelect;

/** Who queues scheduled runs and their automatic retries. */
export const SCHEDULER = "scheduler";

async function log(ctx: ServiceCtx, runId: number, level: "info" | "warn", message: string) {
  await ctx.db.insert(jobLogs).values({ runId, at: ctx.now(), level, message, path: null });
}

/** 1 for a scheduled run, 2 for its first automatic retry, ...; 0 when a person started the chain. */
async function attemptOf(ctx: ServiceCtx, run: RunRow): Promise<number> {
  let attempt = 0;
  for (let r: RunRow | undefined = run; r; attempt++) {
    if (r.triggeredBy !== SCHEDULER) return 0;
    const parent: number | null = r.retryOf;
    r = parent === null ? undefined : await ctx.db.query.jobRuns.findFirst({ where: eq(jobRuns.id, parent) });
  }
  return attempt;
}

/**
 * A scheduled backup that failed retryably or was interrupted is run again after the job's delay,
 * as many times as the job says; the run's log says which retry and when. Manual runs never are.
 */
export async function planRetry(ctx: ServiceCtx, run: RunRow, retryable: boolean): Promise<void> {
  if (run.kind !== "backup") return;
  if (!(run.state === "interrupted" || (run.state === "failed" && retryable))) return;
  const attempt = await attemptOf(ctx, run);
  if (attempt === 0) return;
  const job = await ctx.db.query.jobs.findFirst({ where: eq(jobs.id, run.jobId) });
  if (!job || job.retries === 0) return;
  if (attempt > job.retries) {
    await log(ctx, run.id, "warn", `no automatic retry left: all ${job.retries} were used`);
    return;
  }
  const retryAt = new Date(ctx.now().getTime() + job.retryDelayMinutes * 60_000);
  await ctx.db.update(jobRuns).set({ retryAt }).where(eq(jobRuns.id, run.id));
  await log(
    ctx,
    run.id,
    "info",
    `retry ${attempt} of ${job.retries} in ${job.retryDelayMinutes} min (at ${retryAt.toISOString()})`,
  );
}

/** Calls off a planned retry that has not been queued yet. */
export async function cancelRetry(ctx: ServiceCtx, runId: number, why: string): Promise<void> {
  const called = await ctx.db
    .update(jobRuns)
    .set({ retryAt: null })
    .where(and(eq(jobRuns.id, runId), isNotNull(jobRuns.retryAt)))
    .returning({ id: jobRuns.id });
  if (called.length > 0) await log(ctx, runId, "info", `automatic retry called off: ${why}`);
}

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
      const retry = await queueRun(ctx, run.jobId, SCHEDULER, run.id);
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

import { eq } from "drizzle-orm";
import { jobRuns, jobs } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { log, SCHEDULER } from "./auto-retry.ts";

type RunRow = typeof jobRuns.$inferSelect;

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

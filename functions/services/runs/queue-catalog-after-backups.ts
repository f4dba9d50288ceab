import { and, desc, eq, gt, isNotNull } from "drizzle-orm";
import { jobRuns, jobs } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { log, SCHEDULER } from "./auto-retry.ts";
import { queueRun } from "./queue-run.ts";
import { ACTIVE_RUN_STATES } from "./run-states.ts";

/**
 * Catalog jobs that run after every backup job (`jobs.after_backups`): each is queued when a
 * backup job's run that wrote a set has ended since the catalog job's own last run began (or
 * since the job was made) and none of its runs is active. Called when a backup run ends and on
 * every scheduler tick, so a backup that ends while a catalog backup is under way (its snapshot
 * maybe taken already) gets one of its own once that run is over. Returns the runs queued.
 */
export async function queueCatalogAfterBackups(ctx: ServiceCtx): Promise<number[]> {
  const catalogJobs = await ctx.db.query.jobs.findMany({
    where: and(eq(jobs.kind, "catalog"), eq(jobs.enabled, true), eq(jobs.afterBackups, true)),
  });
  const queued: number[] = [];
  for (const job of catalogJobs) {
    const last = await ctx.db.query.jobRuns.findFirst({
      where: eq(jobRuns.jobId, job.id),
      orderBy: desc(jobRuns.id),
    });
    if (last && (ACTIVE_RUN_STATES as readonly string[]).includes(last.state)) continue;
    const since = last ? (last.startedAt ?? last.queuedAt) : job.createdAt;
    const [ended] = await ctx.db
      .select({ id: jobRuns.id, job: jobs.name })
      .from(jobRuns)
      .innerJoin(jobs, eq(jobs.id, jobRuns.jobId))
      .where(
        and(
          eq(jobs.kind, "backup"),
          eq(jobRuns.kind, "backup"),
          isNotNull(jobRuns.setId),
          gt(jobRuns.finishedAt, since),
        ),
      )
      .orderBy(desc(jobRuns.finishedAt))
      .limit(1);
    if (!ended) continue;
    try {
      const run = await queueRun(ctx, job.id, SCHEDULER);
      await log(
        ctx,
        run.id,
        "info",
        `queued because backup run ${ended.id} of job ${ended.job} ended (this catalog job runs after every backup job)`,
      );
      queued.push(run.id);
    } catch (error) {
      // Another hub instance queued it first.
      if (!(error instanceof AppError && error.code === "conflict")) throw error;
    }
  }
  return queued;
}

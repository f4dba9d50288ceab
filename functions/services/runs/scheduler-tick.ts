import { and, eq, isNotNull, lte } from "drizzle-orm";
import { configSchema } from "../../config.ts";
import { jobs } from "../../db/schema/index.ts";
import type { Logger, ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { cleanOnSchedule } from "../drives/clean-on-schedule.ts";
import { recordEvent } from "../events/record-event.ts";
import { watchConditions } from "../events/watch-conditions.ts";
import { nextRun } from "../jobs/job-input.ts";
import { expireMediaSets } from "../media-sets/expire-media-sets.ts";
import { refreshRotation } from "../media-sets/refresh-rotation.ts";
import { expireUncollectedOrders } from "../orders/expire-uncollected-orders.ts";
import { refreshPreflights } from "../preflight/refresh-preflights.ts";
import { scheduleZoneOf } from "../sites/schedule-zone-of.ts";
import { SCHEDULER } from "./auto-retry.ts";
import { dispatchQueuedRuns } from "./dispatch-runs.ts";
import { interruptSilentRuns } from "./interrupt-silent-runs.ts";
import { queueCatalogAfterBackups } from "./queue-catalog-after-backups.ts";
import { queueDueRetries } from "./queue-due-retries.ts";
import { queueRun } from "./queue-run.ts";
import { scheduledBackupType } from "./scheduled-backup-type.ts";

/**
 * One tick of the scheduler, the same on every runtime (croner on Node, a cron trigger on
 * workerd): queue every enabled job whose next run is due, then hand queued runs to agents.
 * Each job is claimed by moving its next_run_at forward conditionally, so two hub instances
 * ticking at once queue it once. Runs whose agent fell silent become interrupted, and the
 * automatic retries that are due are queued. Media sets whose retention is over expire (before
 * dispatch, so a run may reuse their tapes), drives due for a scheduled cleaning are cleaned when
 * idle, the pre-flight of runs ahead is refreshed, and the pools' offsite rotation says which
 * media sets to take out or bring back. Conditions that hold over time (retention warnings, a lost
 * key, no catalog backup) are told once when they start and once when they end.
 */
export async function schedulerTick(
  ctx: ServiceCtx,
  logger: Logger,
  options: { agentSilenceMinutes?: number } = {},
): Promise<{ queued: number[]; interrupted: number[] }> {
  const now = ctx.now();
  const due = await ctx.db.query.jobs.findMany({
    where: and(eq(jobs.enabled, true), isNotNull(jobs.schedule), lte(jobs.nextRunAt, now)),
    limit: 100,
  });
  const queued: number[] = [];
  for (const job of due) {
    // The same reading of the schedule as the job's save: in its site's zone, else the hub's.
    const next = nextRun(job.schedule as string, now, await scheduleZoneOf(ctx, job.sourceId));
    const claimed = await ctx.db
      .update(jobs)
      .set({ nextRunAt: next ?? null })
      .where(and(eq(jobs.id, job.id), eq(jobs.nextRunAt, job.nextRunAt as Date)))
      .returning({ id: jobs.id });
    if (claimed.length === 0) continue;
    try {
      const run = await queueRun(ctx, job.id, SCHEDULER, null, await scheduledBackupType(ctx, job, now));
      queued.push(run.id);
    } catch (error) {
      // A job still running from its last slot is skipped this time, not queued twice; the
      // operator hears of the skipped slot (once, however many hub instances tick).
      if (!(error instanceof AppError && error.code === "conflict")) throw error;
      logger.warn({ jobId: job.id }, error.message);
      await recordEvent(ctx, {
        kind: "run.skipped",
        text: `The run of job ${job.name} scheduled for ${(job.nextRunAt as Date).toISOString()} was skipped: ${error.message}`,
        action: "Look at the running run; if it is stuck, cancel it so the next slot runs.",
        href: `/jobs/${job.id}`,
        jobId: job.id,
        dedupeKey: `run.skipped:${job.id}:${(job.nextRunAt as Date).getTime()}`,
      });
    }
  }
  await expireUncollectedOrders(ctx);
  await expireMediaSets(ctx);
  const silence = options.agentSilenceMinutes ?? configSchema.shape.AGENT_SILENCE_MINUTES.parse(undefined);
  const interrupted = await interruptSilentRuns(ctx, silence * 60_000);
  queued.push(...(await queueDueRetries(ctx, logger)));
  queued.push(...(await queueCatalogAfterBackups(ctx)));
  await dispatchQueuedRuns(ctx);
  // After the runs took their drives: a scheduled cleaning waits for an idle one.
  await cleanOnSchedule(ctx);
  await refreshPreflights(ctx);
  await refreshRotation(ctx);
  // Last: retention, lost keys and catalog backups are news, not work for this tick.
  await watchConditions(ctx);
  return { queued, interrupted };
}

import { and, eq, gt, isNotNull, lte } from "drizzle-orm";
import { jobs, pools, preflightChecks } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { lifecycleEvent } from "../media-sets/lifecycle-event.ts";
import { planPreflight } from "./plan-preflight.ts";

/** The longest lead time a pool may set; jobs due later than this are not looked at yet. */
const MAX_LEAD_MS = 7 * 24 * 3600_000;

/**
 * On the scheduler tick: the pre-flight of every scheduled backup due within its pool's lead
 * time. A problem raises one item (audited, and the seam for an event); it is cleared, audited
 * too, once the tape can be had or the run has started.
 */
export async function refreshPreflights(ctx: ServiceCtx): Promise<{ raised: number[]; cleared: number[] }> {
  const now = ctx.now();
  const raised: number[] = [];
  const cleared: number[] = [];
  const soon = await ctx.db
    .select({ id: jobs.id, name: jobs.name, nextRunAt: jobs.nextRunAt, lead: pools.preflightLeadMinutes })
    .from(jobs)
    .innerJoin(pools, eq(pools.id, jobs.poolId))
    .where(
      and(
        eq(jobs.enabled, true),
        eq(jobs.kind, "backup"),
        isNotNull(jobs.schedule),
        gt(jobs.nextRunAt, now),
        lte(jobs.nextRunAt, new Date(now.getTime() + MAX_LEAD_MS)),
      ),
    );
  const rows = await ctx.db.query.preflightChecks.findMany();
  const byJob = new Map(rows.map((r) => [r.jobId, r]));
  for (const job of soon) {
    const runAt = job.nextRunAt as Date;
    if (runAt.getTime() - now.getTime() > job.lead * 60_000) continue;
    const check = await planPreflight(ctx, job.id, runAt);
    const before = byJob.get(job.id);
    byJob.delete(job.id);
    const values = { runAt, problem: check.problem, checkedAt: now };
    if (check.problem && check.problem !== before?.problem) {
      await ctx.db
        .insert(preflightChecks)
        .values({ jobId: job.id, ...values, raisedAt: now })
        .onConflictDoUpdate({ target: preflightChecks.jobId, set: { ...values, raisedAt: now } });
      await lifecycleEvent(ctx, {
        action: "preflight.raise",
        target: `job:${job.id}`,
        text: check.problem,
        details: { runAt: runAt.toISOString(), tapes: check.tapes.map((t) => t.barcode) },
        event: {
          kind: "preflight.unmet",
          text: `Job ${job.name}, run at ${runAt.toISOString()}: ${check.problem}`,
          action: "Make the tape available before the run; the item clears by itself once it is.",
          href: `/jobs/${job.id}`,
          jobId: job.id,
          // Several hub instances ticking on one catalog raise it once.
          dedupeKey: `preflight.unmet:${job.id}:${runAt.getTime()}:${check.problem.slice(0, 200)}`,
        },
      });
      raised.push(job.id);
    } else if (!check.problem && before?.problem) {
      await ctx.db
        .update(preflightChecks)
        .set({ ...values, raisedAt: null })
        .where(eq(preflightChecks.jobId, job.id));
      await lifecycleEvent(ctx, {
        action: "preflight.clear",
        target: `job:${job.id}`,
        text: `Job ${job.name} can have its tape for the run at ${runAt.toISOString()}: ${check.tapes.find((t) => t.ready)?.barcode ?? "ready"}`,
        event: {
          kind: "preflight.met",
          text: `Job ${job.name} can have its tape for the run at ${runAt.toISOString()}: ${check.tapes.find((t) => t.ready)?.barcode ?? "ready"}.`,
          href: `/jobs/${job.id}`,
          jobId: job.id,
          dedupeKey: `preflight.met:${job.id}:${runAt.getTime()}:${(before?.problem ?? "").slice(0, 200)}`,
        },
      });
      cleared.push(job.id);
    } else {
      await ctx.db
        .insert(preflightChecks)
        .values({ jobId: job.id, ...values, raisedAt: before?.raisedAt ?? null })
        .onConflictDoUpdate({ target: preflightChecks.jobId, set: values });
    }
  }
  // A check whose run time has passed (the run was queued) or whose job left the window goes.
  for (const stale of byJob.values()) {
    await ctx.db.delete(preflightChecks).where(eq(preflightChecks.jobId, stale.jobId));
    if (stale.problem) {
      await lifecycleEvent(ctx, {
        action: "preflight.clear",
        target: `job:${stale.jobId}`,
        text: `The pre-flight item of job ${stale.jobId} is cleared: its run of ${stale.runAt.toISOString()} is no longer ahead`,
      });
      cleared.push(stale.jobId);
    }
  }
  return { raised, cleared };
}

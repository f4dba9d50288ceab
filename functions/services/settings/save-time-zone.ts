import { and, eq, isNotNull } from "drizzle-orm";
import { jobs, settings } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { nextRun } from "../jobs/job-input.ts";
import { DEFAULT_SCHEDULE_ZONE, TIME_ZONE_KEY, type TimeZoneSetting } from "./time-zone.ts";

/**
 * Stores the hub's zone (null clears it) and moves every scheduled job's next run to where its
 * schedule falls in the new zone, so the scheduler and the previews keep agreeing.
 */
export async function saveTimeZone(ctx: ServiceCtx, input: TimeZoneSetting): Promise<TimeZoneSetting> {
  const now = ctx.now();
  const saved = await ctx.db
    .insert(settings)
    .values({ key: TIME_ZONE_KEY, value: input, secret: false, updatedAt: now })
    .onConflictDoUpdate({ target: settings.key, set: { value: input, updatedAt: now } })
    .returning({ secret: settings.secret });
  if (saved[0]?.secret) throw new AppError("internal", `settings key ${TIME_ZONE_KEY} is a secret row`);
  const zone = input.timeZone ?? DEFAULT_SCHEDULE_ZONE;
  const scheduled = await ctx.db.query.jobs.findMany({ where: isNotNull(jobs.schedule) });
  for (const job of scheduled) {
    const next = nextRun(job.schedule as string, now, zone) ?? null;
    await ctx.db
      .update(jobs)
      .set({ nextRunAt: next })
      .where(and(eq(jobs.id, job.id), eq(jobs.schedule, job.schedule as string)));
  }
  return input;
}

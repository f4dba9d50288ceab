import { and, desc, eq, gte, sql } from "drizzle-orm";
import { type drives, jobRuns, workOrders } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { nextRun } from "../jobs/job-input.ts";

export type CleaningSchedule = NonNullable<(typeof drives.$inferSelect)["cleaningSchedule"]>;

/** A drive's use since its last cleaning (or since its schedule was set, if never cleaned). */
export type DriveUse = { since: Date; lastCleanedAt: Date | null; hours: number; bytes: number };

/**
 * Why the drive is due for a cleaning by its schedule, or null when it is not: the cron slot
 * after the last cleaning has passed, or its hours of use or bytes written reached the limit.
 */
export function cleaningDue(
  schedule: CleaningSchedule,
  use: DriveUse,
  now: Date,
  zone: string,
): string | null {
  const slot = schedule.cron ? nextRun(schedule.cron, use.since, zone) : undefined;
  if (slot && slot <= now) return `its cleaning schedule (${schedule.cron}) was due ${slot.toISOString()}`;
  if (schedule.everyHours !== null && use.hours >= schedule.everyHours)
    return `${use.hours.toFixed(1)} h of use since ${use.lastCleanedAt ? "its last cleaning" : "its schedule was set"} (cleaned every ${schedule.everyHours} h)`;
  if (schedule.everyTerabytes !== null && use.bytes >= schedule.everyTerabytes * 1e12)
    return `${(use.bytes / 1e12).toFixed(3)} TB written since ${use.lastCleanedAt ? "its last cleaning" : "its schedule was set"} (cleaned every ${schedule.everyTerabytes} TB)`;
  return null;
}

/** The schedule in words, with how far the drive has come towards each limit, for its page. */
export function cleaningScheduleWords(schedule: CleaningSchedule, use: DriveUse, zone: string): string[] {
  const words: string[] = [];
  if (schedule.cron)
    words.push(
      `on the schedule ${schedule.cron} (next ${nextRun(schedule.cron, use.since, zone)?.toISOString() ?? "never"})`,
    );
  if (schedule.everyHours !== null)
    words.push(`every ${schedule.everyHours} h of use (${use.hours.toFixed(1)} h so far)`);
  if (schedule.everyTerabytes !== null)
    words.push(`every ${schedule.everyTerabytes} TB written (${(use.bytes / 1e12).toFixed(3)} TB so far)`);
  return words;
}

/** The last finished cleaning of the drive and its runs since then: hours busy and bytes backed up. */
export async function driveUse(ctx: ServiceCtx, drive: typeof drives.$inferSelect): Promise<DriveUse> {
  const last = await ctx.db.query.workOrders.findFirst({
    where: and(
      eq(workOrders.kind, "library"),
      eq(workOrders.state, "done"),
      sql`json_extract(${workOrders.payload}, '$.operation.op') = 'clean'`,
      sql`json_extract(${workOrders.payload}, '$.driveId') = ${drive.id}`,
    ),
    orderBy: desc(workOrders.finishedAt),
  });
  const lastCleanedAt = last?.finishedAt ?? null;
  const set = drive.cleaningSchedule ? new Date(drive.cleaningSchedule.since) : new Date(0);
  const since = lastCleanedAt && lastCleanedAt > set ? lastCleanedAt : set;
  const now = ctx.now();
  const runs = await ctx.db.query.jobRuns.findMany({
    where: and(eq(jobRuns.driveId, drive.id), gte(jobRuns.startedAt, since)),
    columns: { kind: true, startedAt: true, finishedAt: true, bytesDone: true },
  });
  let ms = 0;
  let bytes = 0;
  for (const run of runs) {
    if (run.startedAt) ms += (run.finishedAt ?? now).getTime() - run.startedAt.getTime();
    if (run.kind === "backup") bytes += run.bytesDone;
  }
  return { since, lastCleanedAt, hours: ms / 3_600_000, bytes };
}

import { and, desc, eq, isNotNull, isNull } from "drizzle-orm";
import { streamingVerdict } from "../../../contracts/lto-speeds.ts";
import { drives, healthReadings, jobRuns, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { driveActivity } from "../dashboard/drive-activity.ts";
import { getScheduleZone } from "../settings/get-schedule-zone.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { cleaningScheduleWords, driveUse } from "./cleaning-due.ts";
import { drivesBeingCleaned } from "./drives-cleaning.ts";

const RECENT_RUNS = 10;

/** A drive's latest health and its readings over time (newest first), for the drive page and API. */
export async function getDriveHealth(ctx: ServiceCtx, driveId: number) {
  const drive = getOrThrow(
    await ctx.db.query.drives.findFirst({ where: eq(drives.id, driveId) }),
    "drive",
    driveId,
  );
  const readings = await ctx.db
    .select({ reading: healthReadings, tape: tapes.barcode })
    .from(healthReadings)
    .leftJoin(tapes, eq(tapes.id, healthReadings.tapeId))
    .where(eq(healthReadings.driveId, driveId))
    .orderBy(desc(healthReadings.readAt), desc(healthReadings.id))
    .limit(50);
  const use = await driveUse(ctx, drive);
  const streamed = await ctx.db.query.jobRuns.findMany({
    where: and(eq(jobRuns.driveId, driveId), isNotNull(jobRuns.streaming)),
    columns: { id: true, kind: true, startedAt: true, streaming: true },
    orderBy: desc(jobRuns.id),
    limit: RECENT_RUNS,
  });
  const [current, cleaning] = await Promise.all([
    ctx.db.query.jobRuns.findFirst({
      where: and(eq(jobRuns.driveId, driveId), isNull(jobRuns.finishedAt)),
      columns: { id: true, kind: true, state: true },
    }),
    drivesBeingCleaned(ctx),
  ]);
  const schedule = drive.cleaningSchedule;
  return {
    drive: { id: drive.id, name: drive.name, state: drive.state, inChanger: drive.changerId !== null },
    /** What the drive does now, in the dashboard's words, and the run doing it. */
    activity: driveActivity(drive, current, cleaning.has(drive.id)),
    runId: current?.id ?? null,
    /** When the hub cleans the drive unasked, in words with the progress towards each limit. */
    cleaning: {
      schedule,
      words: schedule ? cleaningScheduleWords(schedule, use, await getScheduleZone(ctx)) : [],
      lastCleanedAt: use.lastCleanedAt,
    },
    health: drive.health,
    healthAt: drive.healthAt,
    readings: readings.map((r) => ({ ...r.reading, tape: r.tape })),
    /** How the drive streamed in its latest backups, each with the verdict the run page gives. */
    streaming: streamed.map((r) => ({
      runId: r.id,
      kind: r.kind,
      startedAt: r.startedAt,
      health: r.streaming,
      verdict: streamingVerdict(r.streaming),
    })),
  };
}

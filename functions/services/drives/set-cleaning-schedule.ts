import { eq } from "drizzle-orm";
import { z } from "zod";
import { drives } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { conflict } from "../../errors.ts";
import { nextRun } from "../jobs/job-input.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";

export const cleaningScheduleInput = z
  .object({
    /** A croner expression in the hub's schedule zone ("0 6 1 * *": the first of each month at 06:00). */
    cron: z
      .string()
      .trim()
      .max(100)
      .refine((expr) => nextRun(expr, new Date()) !== undefined, "not a valid cron expression")
      .nullable()
      .default(null),
    /** Hours of use (the drive's runs) since the last cleaning. */
    everyHours: z.number().positive().max(100_000).nullable().default(null),
    /** Terabytes written (the drive's backups) since the last cleaning. */
    everyTerabytes: z.number().positive().max(100_000).nullable().default(null),
  })
  .transform((v) => ({ ...v, cron: v.cron || null }));

/** Sets (or, with nothing given, removes) when the hub cleans the drive unasked; counting starts now. */
export async function setCleaningSchedule(
  ctx: ServiceCtx,
  driveId: number,
  input: z.output<typeof cleaningScheduleInput>,
) {
  const drive = getOrThrow(
    await ctx.db.query.drives.findFirst({ where: eq(drives.id, driveId) }),
    "drive",
    driveId,
  );
  const none = input.cron === null && input.everyHours === null && input.everyTerabytes === null;
  if (!none && !drive.changerId)
    throw conflict(`${drive.name} is in no changer: the hub cannot load a cleaning cartridge into it`);
  const cleaningSchedule = none ? null : { ...input, since: ctx.now().toISOString() };
  await ctx.db.update(drives).set({ cleaningSchedule }).where(eq(drives.id, driveId));
  return { drive: drive.name, cleaningSchedule };
}

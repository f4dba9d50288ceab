import { eq } from "drizzle-orm";
import type { z } from "zod";
import { changers, drives } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { type cleaningScheduleInput, setCleaningSchedule } from "../drives/set-cleaning-schedule.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";

/** One cleaning schedule for every drive of a changer (each then counts from its own cleanings). */
export async function setChangerCleaningSchedule(
  ctx: ServiceCtx,
  changerId: number,
  input: z.output<typeof cleaningScheduleInput>,
) {
  const changer = getOrThrow(
    await ctx.db.query.changers.findFirst({ where: eq(changers.id, changerId) }),
    "changer",
    changerId,
  );
  const members = await ctx.db.query.drives.findMany({ where: eq(drives.changerId, changerId) });
  const set = [];
  for (const drive of members) set.push(await setCleaningSchedule(ctx, drive.id, input));
  return { changer: changer.name, drives: set };
}

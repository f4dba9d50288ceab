import type { ServiceCtx } from "../../deps.ts";
import { getTimeZone } from "./get-time-zone.ts";
import { DEFAULT_SCHEDULE_ZONE } from "./time-zone.ts";

/** The zone cron schedules are read in, by the scheduler and the preview alike: the setting, else UTC. */
export async function getScheduleZone(ctx: ServiceCtx): Promise<string> {
  return (await getTimeZone(ctx)).timeZone ?? DEFAULT_SCHEDULE_ZONE;
}

import { eq } from "drizzle-orm";
import { settings } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { isTimeZone, TIME_ZONE_KEY, type TimeZoneSetting } from "./time-zone.ts";

/** The zone an admin chose, or null (browsers show their own, schedules run in UTC). */
export async function getTimeZone(ctx: ServiceCtx): Promise<TimeZoneSetting> {
  const row = await ctx.db.query.settings.findFirst({ where: eq(settings.key, TIME_ZONE_KEY) });
  const value = (row?.value as { timeZone?: unknown } | undefined)?.timeZone;
  return { timeZone: typeof value === "string" && isTimeZone(value) ? value : null };
}

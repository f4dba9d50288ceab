import { sql } from "drizzle-orm";
import type { ServiceCtx } from "../../deps.ts";
import { getScheduleZone } from "../settings/get-schedule-zone.ts";
import { isTimeZone } from "../settings/time-zone.ts";
import { siteOf } from "./site-of.ts";

/**
 * The zone a job's schedule (and so its pre-flight deadline) is read in: the zone of the site
 * where its source's agent is, else the hub's schedule zone (docs/adr/0015, 0017).
 */
export async function scheduleZoneOf(ctx: ServiceCtx, sourceId: number | null | undefined): Promise<string> {
  const site = sourceId ? await siteOf(ctx, "source", sourceId) : null;
  if (site != null) {
    const [row] = await ctx.db.all<{ zone: string | null }>(
      sql`select time_zone as zone from sites where id = ${site}`,
    );
    if (row?.zone && isTimeZone(row.zone)) return row.zone;
  }
  return getScheduleZone(ctx);
}

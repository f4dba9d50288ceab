import { and, eq, lte, max, sql } from "drizzle-orm";
import { events, notificationChannels, type Severity } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { SEVERITY_RANK } from "../events/event-kinds.ts";
import { getScheduleZone } from "../settings/get-schedule-zone.ts";
import { quietUntil } from "./quiet-hours.ts";

/** An event older than this when first routed (the tick did not run for days) is not sent. */
const ROUTE_WINDOW_MS = 3 * 24 * 3600_000;

const RANK = (column: string) =>
  `(case ${column} when 'info' then 0 when 'warning' then 1 when 'error' then 2 else 3 end)`;

/**
 * Fans every event not yet routed out into the outbox: one row per (event, channel) for each
 * enabled channel that subscribes to its kind at its severity or above, and whose sites and
 * pools (when it names some) include the event's. Idempotent (the pair is unique), so two hub
 * instances routing at once add each row once; only events up to the highest id seen at the
 * start are marked routed, so one committed meanwhile is not skipped. In a channel's quiet
 * hours an event below its `holdBelow` is written `held` until they end (send-digests.ts).
 */
export async function routeEvents(ctx: ServiceCtx): Promise<number> {
  const [top] = await ctx.db
    .select({ id: max(events.id) })
    .from(events)
    .where(eq(events.routed, false));
  const upTo = top?.id;
  if (upTo === null || upTo === undefined) return 0;
  const nowDate = ctx.now();
  const now = nowDate.getTime();
  const channels = await ctx.db.query.notificationChannels.findMany({
    where: eq(notificationChannels.enabled, true),
  });
  const zone = channels.some((c) => c.quietHours) ? await getScheduleZone(ctx) : "UTC";
  let inserted = 0;
  for (const channel of channels) {
    const until = quietUntil(channel.quietHours, nowDate, zone);
    const holdRank =
      until && channel.quietHours ? SEVERITY_RANK[channel.quietHours.holdBelow as Severity] : -1;
    const held = sql.raw(`${RANK("e.severity")} < ${holdRank}`);
    const result = await ctx.db.run(sql`
      insert or ignore into outbox (event_id, channel_id, state, attempts, next_attempt_at, created_at)
      select e.id, c.id, case when ${held} then 'held' else 'pending' end, 0,
        case when ${held} then ${until?.getTime() ?? now} else ${now} end, ${now}
      from events e join notification_channels c on c.id = ${channel.id}
      where e.routed = 0 and e.id <= ${upTo} and e.at >= ${now - ROUTE_WINDOW_MS}
        and e.kind not in ('test.message', 'notify.digest')
        and exists (select 1 from json_each(c.events) where json_each.value = e.kind)
        and ${sql.raw(RANK("e.severity"))} >= ${sql.raw(RANK("c.min_severity"))}
        and (c.site_ids is null or e.site_id is null
          or e.site_id in (select value from json_each(c.site_ids)))
        and (c.pool_ids is null or e.pool_id is null
          or e.pool_id in (select value from json_each(c.pool_ids)))`);
    inserted += Number((result as { rowsAffected?: number }).rowsAffected ?? 0);
  }
  await ctx.db
    .update(events)
    .set({ routed: true })
    .where(and(eq(events.routed, false), lte(events.id, upTo)));
  return inserted;
}

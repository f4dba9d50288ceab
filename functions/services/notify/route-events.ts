import { and, eq, lte, max, sql } from "drizzle-orm";
import { events } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";

/** An event older than this when first routed (the tick did not run for days) is not sent. */
const ROUTE_WINDOW_MS = 3 * 24 * 3600_000;

const RANK = (column: string) =>
  `(case ${column} when 'info' then 0 when 'warning' then 1 when 'error' then 2 else 3 end)`;

/**
 * Fans every event not yet routed out into the outbox: one row per (event, channel) for each
 * enabled channel that subscribes to its kind at its severity or above. Idempotent (the pair
 * is unique), so two hub instances routing at once add each row once; only events up to the
 * highest id seen at the start are marked routed, so one committed meanwhile is not skipped.
 */
export async function routeEvents(ctx: ServiceCtx): Promise<number> {
  const [top] = await ctx.db
    .select({ id: max(events.id) })
    .from(events)
    .where(eq(events.routed, false));
  const upTo = top?.id;
  if (upTo === null || upTo === undefined) return 0;
  const now = ctx.now().getTime();
  const inserted = await ctx.db.run(sql`
    insert or ignore into outbox (event_id, channel_id, state, attempts, next_attempt_at, created_at)
    select e.id, c.id, 'pending', 0, ${now}, ${now}
    from events e join notification_channels c on c.enabled = 1
    where e.routed = 0 and e.id <= ${upTo} and e.at >= ${now - ROUTE_WINDOW_MS}
      and e.kind <> 'test.message'
      and exists (select 1 from json_each(c.events) where json_each.value = e.kind)
      and ${sql.raw(RANK("e.severity"))} >= ${sql.raw(RANK("c.min_severity"))}`);
  await ctx.db
    .update(events)
    .set({ routed: true })
    .where(and(eq(events.routed, false), lte(events.id, upTo)));
  return Number((inserted as { rowsAffected?: number }).rowsAffected ?? 0);
}

import { and, eq, inArray, isNull, lte, or, sql } from "drizzle-orm";
import { events, notificationChannels, outbox, type Severity } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { EVENT_KINDS, type EventKind, SEVERITY_RANK } from "../events/event-kinds.ts";
import { getScheduleZone } from "../settings/get-schedule-zone.ts";

/** A digest names this many held events one per line, then counts the rest. */
const DIGEST_LINES = 40;

const LINE_CHARS = 240;

/** Under what a Telegram message holds (4096) with its title, so no line is cut off unsaid. */
const DIGEST_CHARS = 3300;

/**
 * When a channel's quiet hours end, its held rows become one digest: an event of kind
 * `notify.digest` (already routed, so it goes to this channel only) with one outbox row, written
 * in the same batch that marks the held rows `digested`. The held rows are claimed first with a
 * lease, as deliver-outbox.ts claims a row, so two hub instances make one digest; a hub that
 * stops after the claim leaves them held for the next once the lease runs out. From then on the
 * digest is an outbox row like any other: sent once, retried, never lost.
 */
export async function sendDigests(ctx: ServiceCtx, leaseMs: number): Promise<number> {
  const now = ctx.now();
  const free = or(isNull(outbox.leaseUntil), lte(outbox.leaseUntil, now));
  const waiting = await ctx.db
    .selectDistinct({ channelId: outbox.channelId })
    .from(outbox)
    .where(and(eq(outbox.state, "held"), lte(outbox.nextAttemptAt, now), free));
  let made = 0;
  for (const { channelId } of waiting) {
    const token = crypto.randomUUID();
    const claimed = await ctx.db
      .update(outbox)
      .set({ leaseToken: token, leaseUntil: new Date(now.getTime() + leaseMs) })
      .where(
        and(eq(outbox.channelId, channelId), eq(outbox.state, "held"), lte(outbox.nextAttemptAt, now), free),
      )
      .returning({ eventId: outbox.eventId });
    if (claimed.length === 0) continue;
    const [held, channel, zone] = await Promise.all([
      ctx.db
        .select()
        .from(events)
        .where(
          inArray(
            events.id,
            claimed.map((c) => c.eventId),
          ),
        )
        .orderBy(events.id),
      ctx.db.query.notificationChannels.findFirst({ where: eq(notificationChannels.id, channelId) }),
      getScheduleZone(ctx),
    ]);
    const quiet = channel?.quietHours;
    const inZone = quiet?.timeZone ?? zone;
    const clock = new Intl.DateTimeFormat("en-GB", {
      timeZone: inZone,
      hourCycle: "h23",
      hour: "2-digit",
      minute: "2-digit",
    });
    const severity = held.reduce<Severity>(
      (top, e) => (SEVERITY_RANK[e.severity] > SEVERITY_RANK[top] ? e.severity : top),
      "info",
    );
    const lines = [
      `${held.length} event${held.length === 1 ? "" : "s"} held during quiet hours${quiet ? ` (${quiet.start}–${quiet.end} ${inZone})` : ""}:`,
    ];
    let size = lines[0]?.length ?? 0;
    for (const e of held) {
      const label = EVENT_KINDS[e.kind as EventKind]?.label ?? e.kind;
      const full = `- ${clock.format(e.at)} ${label}: ${e.text}${e.action ? ` Next: ${e.action}` : ""}`;
      const line = full.length > LINE_CHARS ? `${full.slice(0, LINE_CHARS - 1)}…` : full;
      if (lines.length > DIGEST_LINES || size + line.length > DIGEST_CHARS) break;
      lines.push(line);
      size += line.length + 1;
    }
    const shown = lines.length - 1;
    if (shown < held.length) lines.push(`…and ${held.length - shown} more in the event list.`);
    const key = `notify.digest:${channelId}:${token}`;
    const ours = sql`exists (select 1 from outbox where lease_token = ${token})`;
    const at = now.getTime();
    // The digest and the end of its held rows commit together, and only while the claim is ours.
    await ctx.db.batch([
      ctx.db.run(sql`
        insert into events (kind, severity, at, text, action, href, dedupe_key, routed)
        select 'notify.digest', ${severity}, ${at}, ${lines.join("\n")}, null, '/', ${key}, 1
        where ${ours}`),
      ctx.db.run(sql`
        insert or ignore into outbox (event_id, channel_id, state, attempts, next_attempt_at, created_at)
        select id, ${channelId}, 'pending', 0, ${at}, ${at} from events where dedupe_key = ${key}`),
      ctx.db
        .update(outbox)
        .set({ state: "digested", leaseToken: null, leaseUntil: null, sentAt: now, answer: `in ${key}` })
        .where(and(eq(outbox.channelId, channelId), eq(outbox.leaseToken, token))),
    ]);
    made++;
  }
  return made;
}

import { and, eq, isNull, lte, or } from "drizzle-orm";
import { events, notificationChannels, outbox } from "../../db/schema/index.ts";
import type { Logger, Senders, ServiceCtx } from "../../deps.ts";
import { eventInsert } from "../events/record-event.ts";
import { channelSettings } from "./channel-settings.ts";
import { composeMessage } from "./compose-message.ts";
import { failureText, SendFailure } from "./send-failure.ts";

/** After this many attempts a row stops and its error stays on the settings page. */
export const MAX_ATTEMPTS = 8;

const BATCH = 20;

/** 30 s, 1 min, 2 min, … capped at 1 h: a mail server down overnight is tried all night, not flooded. */
export function backoffMs(attempts: number): number {
  return Math.min(3600_000, 30_000 * 2 ** Math.max(0, attempts - 1));
}

export interface DeliverOptions {
  masterKey: Uint8Array;
  senders: Senders;
  logger: Logger;
  leaseMs: number;
  hubUrl?: string | null;
}

/**
 * Sends what the outbox holds that is due. Each row is claimed first with a lease (a token and
 * an expiry, set only where no live lease is): two hub instances never both hold one. The lease
 * is checked again when the result is written, so a hub that lost it (it stalled past the
 * expiry) records nothing. `sending_at` marks the moment the message leaves: a row whose lease
 * ran out after it is sent once more marked as a possible repeat; before it, it was never sent.
 */
export async function deliverOutbox(
  ctx: ServiceCtx,
  options: DeliverOptions,
): Promise<{ sent: number; failed: number }> {
  const now = ctx.now();
  const due = await ctx.db
    .select({ id: outbox.id })
    .from(outbox)
    .where(
      and(
        eq(outbox.state, "pending"),
        lte(outbox.nextAttemptAt, now),
        or(isNull(outbox.leaseUntil), lte(outbox.leaseUntil, now)),
      ),
    )
    .orderBy(outbox.id)
    .limit(BATCH);
  let sent = 0;
  let failed = 0;
  for (const { id } of due) {
    const outcome = await deliverOne(ctx, id, options);
    if (outcome === "sent") sent++;
    if (outcome === "failed") failed++;
  }
  return { sent, failed };
}

type Channel = typeof notificationChannels.$inferSelect;

/**
 * The event that a channel gave a message up, for the other channels and the admins' pages:
 * once per channel until it sends again (the key names its last success), and never about a
 * `notify.failed` itself, so a channel that is down cannot feed itself.
 */
function cannotSend(ctx: ServiceCtx, channel: Channel, why: string) {
  const name = channel.kind === "email" ? "e-mail" : "Telegram";
  return eventInsert(ctx, {
    kind: "notify.failed",
    text: `The ${name} channel could not send a message and gave it up: ${why}`,
    action: "Open Settings, read the channel's last error, fix it and send a test message.",
    href: "/settings",
    dedupeKey: `notify.failed:${channel.id}:${channel.lastSentAt?.getTime() ?? 0}`,
  });
}

const newsOf = (ctx: ServiceCtx, channel: Channel, kind: string, why: string) =>
  kind === "notify.failed" ? [] : [cannotSend(ctx, channel, why)];

async function deliverOne(ctx: ServiceCtx, id: number, options: DeliverOptions) {
  const now = ctx.now();
  const token = crypto.randomUUID();
  const [row] = await ctx.db
    .update(outbox)
    .set({ leaseToken: token, leaseUntil: new Date(now.getTime() + options.leaseMs) })
    .where(
      and(
        eq(outbox.id, id),
        eq(outbox.state, "pending"),
        or(isNull(outbox.leaseUntil), lte(outbox.leaseUntil, now)),
      ),
    )
    .returning();
  if (!row) return "taken";
  const mine = and(eq(outbox.id, id), eq(outbox.leaseToken, token));
  const [event, channel] = await Promise.all([
    ctx.db.query.events.findFirst({ where: eq(events.id, row.eventId) }),
    ctx.db.query.notificationChannels.findFirst({ where: eq(notificationChannels.id, row.channelId) }),
  ]);
  const sender = channel ? options.senders[channel.kind as "email" | "telegram"] : undefined;
  if (!event || !channel?.enabled || !sender) {
    const why = !channel?.enabled
      ? "the channel is turned off"
      : (options.senders.unavailable?.[channel.kind as "email" | "telegram"] ??
        `this hub cannot send ${channel.kind}`);
    const stop = ctx.db
      .update(outbox)
      .set({ state: "failed", lastError: `Not sent: ${why}`, leaseToken: null })
      .where(mine);
    // A channel turned off was the operator's choice; a hub that cannot send is news.
    if (channel?.enabled && event) await ctx.db.batch([stop, ...newsOf(ctx, channel, event.kind, why)]);
    else await stop;
    return "failed";
  }
  const possibleRepeat = row.sendingAt !== null;
  const message = composeMessage(event, {
    idempotencyKey: `outbox-${row.id}`,
    hubUrl: options.hubUrl,
    possibleRepeat,
  });
  const attempts = row.attempts + 1;
  const started = await ctx.db
    .update(outbox)
    .set({ sendingAt: ctx.now(), attempts, uncertain: possibleRepeat || row.uncertain })
    .where(mine)
    .returning({ id: outbox.id });
  if (started.length === 0) return "taken";
  try {
    const settings = await channelSettings(channel, options.masterKey);
    const { answer } = await sender(settings, message);
    const at = ctx.now();
    await ctx.db.batch([
      ctx.db
        .update(outbox)
        .set({ state: "sent", sentAt: at, answer: answer.slice(0, 500), lastError: null, leaseToken: null })
        .where(mine),
      ctx.db
        .update(notificationChannels)
        .set({ lastSentAt: at })
        .where(eq(notificationChannels.id, channel.id)),
    ]);
    options.logger.info({ outboxId: row.id, channel: channel.kind, kind: event.kind }, "notification sent");
    return "sent";
  } catch (error) {
    const text = failureText(error);
    const permanent = error instanceof SendFailure && error.permanent;
    const giveUp = permanent || attempts >= MAX_ATTEMPTS;
    const at = ctx.now();
    const wait = Math.max(backoffMs(attempts), error instanceof SendFailure ? (error.retryAfterMs ?? 0) : 0);
    await ctx.db.batch([
      ctx.db
        .update(outbox)
        .set({
          state: giveUp ? "failed" : "pending",
          lastError: text,
          // The server answered: the message did not leave, so the next attempt is no repeat.
          sendingAt: null,
          leaseToken: null,
          leaseUntil: null,
          nextAttemptAt: new Date(at.getTime() + wait),
        })
        .where(mine),
      ctx.db
        .update(notificationChannels)
        .set({ lastError: giveUp ? `${text} (gave up after ${attempts} attempts)` : text, lastErrorAt: at })
        .where(eq(notificationChannels.id, channel.id)),
      ...(giveUp ? newsOf(ctx, channel, event.kind, text) : []),
    ]);
    options.logger.warn(
      { outboxId: row.id, channel: channel.kind, kind: event.kind, attempts, giveUp, err: text },
      "notification not sent",
    );
    return giveUp ? "failed" : "retry";
  }
}

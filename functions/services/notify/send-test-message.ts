import { eq } from "drizzle-orm";
import { notificationChannels } from "../../db/schema/index.ts";
import type { Senders, ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import type { ChannelKind } from "../settings/notification-channel-input.ts";
import { channelSettings } from "./channel-settings.ts";
import { composeMessage } from "./compose-message.ts";
import { failureText } from "./send-failure.ts";

/** What the test button reports: the server's own answer, accepted or not. */
export type TestOutcome = { ok: true; answer: string } | { ok: false; error: string };

/**
 * Sends one test message through a saved channel now, outside the outbox, and says what the
 * server answered, so an operator sees "535 authentication failed" at once, not at 3 a.m.
 */
export async function sendTestMessage(
  ctx: ServiceCtx,
  masterKey: Uint8Array,
  senders: Senders | undefined,
  kind: ChannelKind,
): Promise<TestOutcome> {
  const channel = await ctx.db.query.notificationChannels.findFirst({
    where: eq(notificationChannels.kind, kind),
  });
  if (!channel)
    throw new AppError("not_found", `Save the ${kind === "email" ? "e-mail" : "Telegram"} channel first`);
  const sender = senders?.[kind];
  if (!sender) return { ok: false, error: senders?.unavailable?.[kind] ?? `This hub cannot send ${kind}` };
  const now = ctx.now();
  const message = composeMessage(
    {
      id: 0,
      kind: "test.message",
      severity: "info",
      at: now,
      text: "This is a test message from TapeBackarr. If you read it, this channel works.",
      action: null,
      href: null,
    },
    { idempotencyKey: `test-${now.getTime()}-${crypto.randomUUID()}` },
  );
  try {
    const { answer } = await sender(await channelSettings(channel, masterKey), message);
    await ctx.db
      .update(notificationChannels)
      .set({ lastSentAt: ctx.now() })
      .where(eq(notificationChannels.id, channel.id));
    return { ok: true, answer };
  } catch (error) {
    const text = failureText(error);
    await ctx.db
      .update(notificationChannels)
      .set({ lastError: text, lastErrorAt: ctx.now() })
      .where(eq(notificationChannels.id, channel.id));
    return { ok: false, error: text };
  }
}

import { eq } from "drizzle-orm";
import { z } from "zod";
import { notificationChannels } from "../../db/schema/index.ts";
import type { HubSecrets, ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { wrapKey } from "../../security/key-wrap.ts";

/** What a channel can be told about; a later sender reads `events` to decide. */
export const NOTIFICATION_EVENTS = ["run.failed", "run.completed", "tape.needed", "drive.alert"] as const;
export const CHANNEL_KINDS = ["email", "telegram"] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/** The AAD a channel's secret settings are sealed under with the master key. */
export const channelSecretPurpose = (kind: string) => `notification-channel:${kind}`;

const email = z.string().trim().max(254).email("is not an e-mail address");
const events = z.array(z.enum(NOTIFICATION_EVENTS)).max(NOTIFICATION_EVENTS.length).default([]);

export const emailChannelInput = z.object({
  enabled: z.boolean().default(false),
  host: z
    .string()
    .trim()
    .min(1, "must not be empty")
    .max(253)
    .regex(/^[A-Za-z0-9.-]+$/, "is a host name or address, e.g. smtp.example.com"),
  port: z.number().int().min(1).max(65535).default(587),
  from: email,
  to: z.array(email).min(1, "needs at least one recipient").max(20),
  username: z.string().trim().max(254).nullish(),
  /** Write-only: stored encrypted, never returned; absent keeps the stored one. */
  password: z.string().min(1).max(1024).optional(),
  clearPassword: z.boolean().default(false),
  events,
});

export const telegramChannelInput = z.object({
  enabled: z.boolean().default(false),
  chatId: z
    .string()
    .trim()
    .regex(
      /^(-?\d{1,20}|@[A-Za-z0-9_]{5,32})$/,
      "is a numeric chat id (e.g. -1001234567890) or @channelname",
    ),
  /** Write-only, like the SMTP password. */
  botToken: z
    .string()
    .trim()
    .regex(/^\d{3,20}:[A-Za-z0-9_-]{30,64}$/, "does not look like a bot token from @BotFather (123456:ABC…)")
    .optional(),
  clearBotToken: z.boolean().default(false),
  events,
});

export type EmailChannelInput = z.output<typeof emailChannelInput>;
export type TelegramChannelInput = z.output<typeof telegramChannelInput>;

/** A channel as pages and the API show it: the secret only as set / not set. */
export interface ChannelView {
  kind: ChannelKind;
  enabled: boolean;
  config: Record<string, unknown>;
  events: string[];
  secretSet: boolean;
  updatedAt: Date | null;
}

export async function listChannels(ctx: ServiceCtx): Promise<ChannelView[]> {
  const rows = await ctx.db.query.notificationChannels.findMany();
  return CHANNEL_KINDS.map((kind) => {
    const row = rows.find((r) => r.kind === kind);
    return {
      kind,
      enabled: row?.enabled ?? false,
      config: row?.config ?? {},
      events: row?.events ?? [],
      secretSet: !!row?.secretConfig,
      updatedAt: row?.updatedAt ?? null,
    };
  });
}

export async function saveEmailChannel(
  ctx: ServiceCtx,
  secrets: HubSecrets,
  input: EmailChannelInput,
): Promise<ChannelView> {
  const { password, clearPassword, enabled, events, ...config } = input;
  return saveChannel(ctx, secrets, {
    kind: "email",
    enabled,
    events,
    config: { ...config, username: config.username ?? null },
    secret: clearPassword ? null : password === undefined ? undefined : { password },
    needsSecret: !!config.username && "the SMTP password of the user",
  });
}

export async function saveTelegramChannel(
  ctx: ServiceCtx,
  secrets: HubSecrets,
  input: TelegramChannelInput,
): Promise<ChannelView> {
  const { botToken, clearBotToken, enabled, events, chatId } = input;
  return saveChannel(ctx, secrets, {
    kind: "telegram",
    enabled,
    events,
    config: { chatId },
    secret: clearBotToken ? null : botToken === undefined ? undefined : { botToken },
    needsSecret: enabled && "the bot token",
  });
}

/**
 * One row per kind. `secret`: undefined keeps the stored one, null clears it. It is sealed
 * with the hub master key (AES-256-GCM, bound to the channel kind) and never read back here.
 */
async function saveChannel(
  ctx: ServiceCtx,
  secrets: HubSecrets,
  change: {
    kind: ChannelKind;
    enabled: boolean;
    events: string[];
    config: Record<string, unknown>;
    secret: Record<string, string> | null | undefined;
    needsSecret: string | false;
  },
): Promise<ChannelView> {
  const existing = await ctx.db.query.notificationChannels.findFirst({
    where: eq(notificationChannels.kind, change.kind),
  });
  const sealed =
    change.secret === undefined
      ? (existing?.secretConfig ?? null)
      : change.secret === null
        ? null
        : await wrapKey(
            secrets.masterKey,
            new TextEncoder().encode(JSON.stringify(change.secret)),
            channelSecretPurpose(change.kind),
          );
  if (change.needsSecret && !sealed)
    throw new AppError("validation_failed", `Give ${change.needsSecret}; none is stored yet`);
  const now = ctx.now();
  const values = {
    enabled: change.enabled,
    events: change.events,
    config: change.config,
    secretConfig: sealed,
    updatedAt: now,
  };
  if (existing)
    await ctx.db.update(notificationChannels).set(values).where(eq(notificationChannels.id, existing.id));
  else
    await ctx.db.insert(notificationChannels).values({
      name: change.kind === "email" ? "E-mail" : "Telegram",
      kind: change.kind,
      createdAt: now,
      ...values,
    });
  const view = (await listChannels(ctx)).find((c) => c.kind === change.kind);
  if (!view) throw new AppError("internal", `channel ${change.kind} was not saved`);
  return view;
}

import { z } from "zod";
import { SEVERITIES } from "../../db/schema/index.ts";
import { SUBSCRIBABLE_KINDS } from "../events/event-kinds.ts";
import { isTimeZone } from "./time-zone.ts";

/** What a channel can be told about: the event kinds of services/events/event-kinds.ts. */
export const NOTIFICATION_EVENTS = SUBSCRIBABLE_KINDS;

export const SMTP_SECURITY = ["starttls", "tls", "none"] as const;

export const CHANNEL_KINDS = ["email", "telegram"] as const;

export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/** The AAD a channel's secret settings are sealed under with the master key. */
export const channelSecretPurpose = (kind: string) => `notification-channel:${kind}`;

const email = z.string().trim().max(254).email("is not an e-mail address");

const events = z
  .array(z.enum(NOTIFICATION_EVENTS as [string, ...string[]]))
  .max(NOTIFICATION_EVENTS.length)
  .default([]);

const minSeverity = z.enum(SEVERITIES).default("info");

const clock = z
  .string()
  .trim()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, "is a time of day as HH:MM, e.g. 22:00");

/**
 * Quiet hours: events below `holdBelow` (critical by default: only critical ones go through)
 * wait and leave as one digest at `end`. The zone is the channel's, else the hub's.
 */
export const quietHoursInput = z
  .object({
    start: clock,
    end: clock,
    timeZone: z
      .string()
      .trim()
      .max(64)
      .refine(
        (name) => name === "" || isTimeZone(name),
        "is not a time zone this hub knows (e.g. Europe/Berlin)",
      )
      .transform((name) => (name === "" ? null : name))
      .nullish()
      .transform((name) => name ?? null),
    holdBelow: z.enum(SEVERITIES).default("critical"),
  })
  .refine((q) => q.start !== q.end, { message: "start and end must differ", path: ["end"] })
  .nullable()
  .default(null);

/** Sites or pools a channel is limited to; empty or null: all of them. */
const limitTo = z
  .array(z.number().int().positive())
  .max(200)
  .nullable()
  .default(null)
  .transform((ids) => (ids && ids.length > 0 ? [...new Set(ids)].sort((a, b) => a - b) : null));

/** What every channel kind shares: what it hears of, when, and for which sites and pools. */
const routing = { events, minSeverity, quietHours: quietHoursInput, siteIds: limitTo, poolIds: limitTo };

export const emailChannelInput = z.object({
  enabled: z.boolean().default(false),
  host: z
    .string()
    .trim()
    .min(1, "must not be empty")
    .max(253)
    .regex(/^[A-Za-z0-9.-]+$/, "is a host name or address, e.g. smtp.example.com"),
  port: z.number().int().min(1).max(65535).default(587),
  /** STARTTLS required (587), implicit TLS (465), or none (a local relay on port 25). */
  security: z.enum(SMTP_SECURITY).default("starttls"),
  from: email,
  to: z.array(email).min(1, "needs at least one recipient").max(20),
  username: z.string().trim().max(254).nullish(),
  /** Write-only: stored encrypted, never returned; absent keeps the stored one. */
  password: z.string().min(1).max(1024).optional(),
  clearPassword: z.boolean().default(false),
  ...routing,
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
  ...routing,
});

export type EmailChannelInput = z.output<typeof emailChannelInput>;

export type TelegramChannelInput = z.output<typeof telegramChannelInput>;

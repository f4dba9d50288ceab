import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, timestamp, updatedAt } from "./columns.ts";

export const SEVERITIES = ["info", "warning", "error", "critical"] as const;

export type Severity = (typeof SEVERITIES)[number];

/**
 * Every fact an operator may want to hear, written in the same batch as the change that causes
 * it (services/events/record-event.ts). The kind list lives in services/events/event-kinds.ts;
 * the column is plain text so a new kind needs no migration.
 */
export const events = sqliteTable(
  "events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    kind: text("kind").notNull(),
    severity: text("severity", { enum: SEVERITIES }).notNull(),
    at: timestamp("at").notNull(),
    /** What happened, in operator words. */
    text: text("text").notNull(),
    /** What to do next, when the hub knows it. */
    action: text("action"),
    /** Where the page about it is, e.g. /runs/12. */
    href: text("href"),
    jobId: integer("job_id"),
    runId: integer("run_id"),
    tapeId: integer("tape_id"),
    driveId: integer("drive_id"),
    agentId: text("agent_id"),
    siteId: integer("site_id"),
    poolId: integer("pool_id"),
    /** One event per fact: a second insert with the same key (another hub instance) is a no-op. */
    dedupeKey: text("dedupe_key"),
    /** Fanned out into the outbox (once, by whichever tick gets there first). */
    routed: integer("routed", { mode: "boolean" }).notNull().default(false),
  },
  (t) => [
    uniqueIndex("events_dedupe_key_idx").on(t.dedupeKey),
    index("events_routed_idx").on(t.routed, t.id),
    index("events_at_idx").on(t.at),
  ],
);

export interface QuietHours {
  start: string;
  end: string;
  timeZone: string | null;
  holdBelow: Severity;
}

export const notificationChannels = sqliteTable("notification_channels", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull(),
  kind: text("kind", { enum: ["email", "telegram", "webhook"] }).notNull(),
  /** Non-secret settings (recipients, chat id). */
  config: text("config", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  /** Secret settings (bot token, SMTP password), encrypted with the hub master key; never returned. */
  secretConfig: text("secret_config"),
  /** Event kinds this channel receives, e.g. ["run.failed", "tape.needed"]. */
  events: text("events", { mode: "json" }).$type<string[]>().notNull(),
  /** The least severity of an event this channel receives. */
  minSeverity: text("min_severity", { enum: SEVERITIES }).notNull().default("info"),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
  /**
   * Quiet hours: between `start` and `end` (HH:MM in `timeZone`, else the hub's zone) events
   * below `holdBelow` wait in the outbox as `held` and leave as one digest when the hours end.
   */
  quietHours: text("quiet_hours", { mode: "json" }).$type<QuietHours>(),
  /** Only events of these sites / pools (an event naming none still goes); null: all. */
  siteIds: text("site_ids", { mode: "json" }).$type<number[]>(),
  poolIds: text("pool_ids", { mode: "json" }).$type<number[]>(),
  /** The last delivery's outcome, for the settings page. */
  lastSentAt: timestamp("last_sent_at"),
  lastError: text("last_error"),
  lastErrorAt: timestamp("last_error_at"),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** held: waiting for a channel's quiet hours to end; digested: sent inside a digest's row. */
export const OUTBOX_STATES = ["pending", "held", "digested", "sent", "failed"] as const;

/**
 * One row per (event, channel): delivered once, retried with backoff, survives restarts. A
 * sender claims a row with a lease (lease_token, lease_until); another hub instance takes it
 * only after the lease ran out. `sending_at` is set just before the message leaves: a lease
 * that ran out after it is a send whose outcome is unknown, shown and re-sent at most once.
 */
export const outbox = sqliteTable(
  "outbox",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    eventId: integer("event_id")
      .notNull()
      .references(() => events.id, { onDelete: "cascade" }),
    channelId: integer("channel_id")
      .notNull()
      .references(() => notificationChannels.id, { onDelete: "cascade" }),
    state: text("state", { enum: OUTBOX_STATES }).notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at").notNull(),
    leaseToken: text("lease_token"),
    leaseUntil: timestamp("lease_until"),
    sendingAt: timestamp("sending_at"),
    /** A lease ran out after the message left: it was sent again, marked as a possible repeat. */
    uncertain: integer("uncertain", { mode: "boolean" }).notNull().default(false),
    lastError: text("last_error"),
    /** What the server answered (SMTP response line, Telegram message id). */
    answer: text("answer"),
    createdAt: createdAt(),
    sentAt: timestamp("sent_at"),
  },
  (t) => [
    uniqueIndex("outbox_event_channel_idx").on(t.eventId, t.channelId),
    index("outbox_due_idx").on(t.state, t.nextAttemptAt),
  ],
);

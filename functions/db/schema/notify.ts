import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { createdAt, timestamp, updatedAt } from "./columns.ts";

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
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** Transactional outbox: events to deliver, retried until sent; survives restarts. */
export const outbox = sqliteTable(
  "outbox",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    channelId: integer("channel_id").references(() => notificationChannels.id, { onDelete: "cascade" }),
    event: text("event").notNull(),
    payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    state: text("state", { enum: ["pending", "sent", "failed"] })
      .notNull()
      .default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at").notNull(),
    lastError: text("last_error"),
    createdAt: createdAt(),
    sentAt: timestamp("sent_at"),
  },
  (t) => [index("outbox_due_idx").on(t.state, t.nextAttemptAt)],
);

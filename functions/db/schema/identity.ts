import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, timestamp, updatedAt } from "./columns.ts";
import { sites } from "./fleet.ts";

export const ROLES = ["admin", "operator", "read-only"] as const;
export type Role = (typeof ROLES)[number];

export const users = sqliteTable(
  "users",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    username: text("username").notNull(),
    passwordHash: text("password_hash").notNull(),
    role: text("role", { enum: ROLES }).notNull(),
    email: text("email"),
    disabled: integer("disabled", { mode: "boolean" }).notNull().default(false),
    lastLoginAt: timestamp("last_login_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("users_username_uq").on(t.username)],
);

/** A browser or token session; the JWT carries its id so logout can revoke it. */
export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at").notNull(),
    revokedAt: timestamp("revoked_at"),
    ip: text("ip"),
    userAgent: text("user_agent"),
  },
  (t) => [index("sessions_user_idx").on(t.userId)],
);

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** Public part of the key, shown in lists: `tbk_<prefix>_<secret>`. */
    prefix: text("prefix").notNull(),
    /** SHA-256 of the whole key, hex. The key itself is shown once and never stored. */
    keyHash: text("key_hash").notNull(),
    name: text("name").notNull(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: text("role", { enum: ROLES }).notNull(),
    expiresAt: timestamp("expires_at"),
    lastUsedAt: timestamp("last_used_at"),
    revokedAt: timestamp("revoked_at"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("api_keys_prefix_uq").on(t.prefix), index("api_keys_user_idx").on(t.userId)],
);

export const auditLogs = sqliteTable(
  "audit_logs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: timestamp("at").notNull(),
    userId: integer("user_id"),
    /** Who acted, kept as text so the row survives the user's deletion. */
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    target: text("target"),
    outcome: text("outcome", { enum: ["success", "failure", "denied"] }).notNull(),
    ip: text("ip"),
    requestId: text("request_id"),
    details: text("details", { mode: "json" }).$type<Record<string, unknown>>(),
    /** The site of the object acted on; null for hub-wide actions. */
    siteId: integer("site_id"),
  },
  (t) => [
    index("audit_logs_at_idx").on(t.at),
    index("audit_logs_action_at_idx").on(t.action, t.at),
    index("audit_logs_user_at_idx").on(t.userId, t.at),
    // Login rate limiting counts recent failures per IP and per username.
    index("audit_logs_login_ip_idx").on(t.action, t.ip, t.at),
    index("audit_logs_login_target_idx").on(t.action, t.target, t.at),
  ],
);

/**
 * A user's role at one site. A user with any row here is site-scoped: they hold these roles at
 * these sites only (never above their own role) and see nothing of other sites.
 */
export const userSiteRoles = sqliteTable(
  "user_site_roles",
  {
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    siteId: integer("site_id")
      .notNull()
      .references(() => sites.id, { onDelete: "cascade" }),
    role: text("role", { enum: ["operator", "read-only"] }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.siteId] })],
);

export const settings = sqliteTable("settings", {
  key: text("key").primaryKey(),
  value: text("value", { mode: "json" }).notNull(),
  secret: integer("secret", { mode: "boolean" }).notNull().default(false),
  updatedAt: updatedAt(),
});

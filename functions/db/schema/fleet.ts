import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { DriveHealthReport } from "../../../contracts/agent-protocol.ts";
import { createdAt, timestamp, updatedAt } from "./columns.ts";

export const sites = sqliteTable(
  "sites",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    /** Free text for the operators of the site (kept in the column the first sites table named). */
    notes: text("description"),
    /** IANA zone the site's schedules and pre-flight deadlines read in; null: the hub's zone. */
    timeZone: text("time_zone"),
    /** Who to call there (a name, a phone number, a mailbox). */
    contact: text("contact"),
    /** A retired site keeps its history but takes no new agents, tapes or pools. */
    retiredAt: timestamp("retired_at"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("sites_name_uq").on(t.name)],
);

export const AGENT_STATES = ["pending", "online", "offline", "disabled"] as const;

export const agents = sqliteTable(
  "agents",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    siteId: integer("site_id").references(() => sites.id),
    state: text("state", { enum: AGENT_STATES }).notNull().default("pending"),
    /** Ed25519 public key (JWK JSON) registered at enrollment. */
    publicKey: text("public_key"),
    /** SHA-256 of the one-time enrollment token; cleared once used. */
    enrollmentTokenHash: text("enrollment_token_hash"),
    enrollmentExpiresAt: timestamp("enrollment_expires_at"),
    hostname: text("hostname"),
    version: text("version"),
    /** The agent protocol of its last heartbeat (contracts: AGENT_PROTOCOL). */
    protocol: integer("protocol"),
    /** Its clock minus the hub's at its last heartbeat, in ms (positive: the agent is ahead). */
    clockSkewMs: integer("clock_skew_ms"),
    lastSeenAt: timestamp("last_seen_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("agents_name_uq").on(t.name), index("agents_site_idx").on(t.siteId)],
);

export const changers = sqliteTable(
  "changers",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    devicePath: text("device_path").notNull(),
    slotCount: integer("slot_count").notNull().default(0),
    importExportCount: integer("import_export_count").notNull().default(0),
    /** Last inventory as reported by the agent (slots, barcodes). */
    inventory: text("inventory", { mode: "json" }).$type<unknown>(),
    lastSeenAt: timestamp("last_seen_at"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("changers_agent_device_uq").on(t.agentId, t.devicePath)],
);

export const DRIVE_STATES = ["unknown", "idle", "busy", "offline", "error"] as const;

export const drives = sqliteTable(
  "drives",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    changerId: integer("changer_id").references(() => changers.id, { onDelete: "set null" }),
    /** Index of this drive inside its changer (mtx data transfer element). */
    changerIndex: integer("changer_index"),
    name: text("name").notNull(),
    devicePath: text("device_path").notNull(),
    vendor: text("vendor"),
    model: text("model"),
    serial: text("serial"),
    generation: text("generation"),
    state: text("state", { enum: DRIVE_STATES }).notNull().default("unknown"),
    loadedTapeId: integer("loaded_tape_id"),
    alerts: text("alerts", { mode: "json" }).$type<string[]>(),
    /**
     * When the hub cleans this drive unasked (services/drives/clean-on-schedule.ts): on a croner
     * schedule, or after so many hours of use or terabytes written since the last cleaning, counted
     * from `since` (when the schedule was set) when the drive was never cleaned. Null: only on
     * TapeAlert 20/21 and on request.
     */
    cleaningSchedule: text("cleaning_schedule", { mode: "json" }).$type<{
      cron: string | null;
      everyHours: number | null;
      everyTerabytes: number | null;
      since: string;
    }>(),
    /** The TapeAlert flags and error counters of the agent's last reading (heartbeat or after an order). */
    health: text("health", { mode: "json" }).$type<DriveHealthReport>(),
    healthAt: timestamp("health_at"),
    lastSeenAt: timestamp("last_seen_at"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("drives_agent_device_uq").on(t.agentId, t.devicePath)],
);

/**
 * Drive health over time, per drive and per tape (the cartridge loaded when it was read): a row
 * only when the flags or counters changed, so a quiet drive adds nothing on each heartbeat.
 */
export const healthReadings = sqliteTable(
  "health_readings",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    driveId: integer("drive_id")
      .notNull()
      .references(() => drives.id, { onDelete: "cascade" }),
    /** No foreign key: media.ts imports this file; a deleted tape leaves its readings to the drive. */
    tapeId: integer("tape_id"),
    readAt: timestamp("read_at").notNull(),
    alerts: text("alerts", { mode: "json" }).$type<DriveHealthReport["alerts"]>().notNull(),
    counters: text("counters", { mode: "json" }).$type<DriveHealthReport["counters"]>(),
  },
  (t) => [index("health_drive_idx").on(t.driveId, t.readAt), index("health_tape_idx").on(t.tapeId, t.readAt)],
);

import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { PveInventory } from "../../../contracts/proxmox.ts";
import { createdAt, timestamp } from "./columns.ts";
import { jobRuns, sources } from "./jobs.ts";
import { backupSets } from "./sets.ts";

/**
 * A Proxmox source's API token secret, wrapped by the master key (AAD bound to the source id):
 * in its own table so no read of `sources` can ever return it. Write-only through the API.
 */
export const sourceSecrets = sqliteTable("source_secrets", {
  sourceId: integer("source_id")
    .primaryKey()
    .references(() => sources.id, { onDelete: "cascade" }),
  wrapped: text("wrapped").notNull(),
  updatedAt: timestamp("updated_at").notNull(),
});

export const GUEST_TYPES = ["qemu", "lxc"] as const;

/** One guest's archive in a backup set, as the agent reported it (failed ones too). */
export const guestBackups = sqliteTable(
  "guest_backups",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    setId: integer("set_id")
      .notNull()
      .references(() => backupSets.id, { onDelete: "cascade" }),
    runId: integer("run_id").references(() => jobRuns.id, { onDelete: "set null" }),
    sourceId: integer("source_id").references(() => sources.id, { onDelete: "set null" }),
    vmid: integer("vmid").notNull(),
    type: text("type", { enum: GUEST_TYPES }).notNull(),
    name: text("name").notNull(),
    node: text("node").notNull(),
    state: text("state", { enum: ["completed", "failed"] }).notNull(),
    bytes: integer("bytes").notNull(),
    sha256: text("sha256"),
    /** Tar path of the parts without their `.NNNNNN` suffix, and of the config beside them. */
    archivePath: text("archive_path").notNull(),
    configPath: text("config_path"),
    parts: integer("parts").notNull(),
    error: text("error"),
    createdAt: createdAt(),
  },
  (t) => [
    index("guest_backups_guest_idx").on(t.vmid, t.createdAt),
    index("guest_backups_set_idx").on(t.setId),
  ],
);

export type GuestBackupRow = typeof guestBackups.$inferSelect;

/**
 * What the last discovery of a Proxmox source found (the agent's answer to a discover order):
 * one row per source, replaced by each discovery; a failed one keeps the guests and says why.
 */
export const pveInventories = sqliteTable("pve_inventories", {
  sourceId: integer("source_id")
    .primaryKey()
    .references(() => sources.id, { onDelete: "cascade" }),
  nodes: text("nodes", { mode: "json" }).$type<{ node: string; status: string }[]>().notNull(),
  guests: text("guests", { mode: "json" }).$type<PveInventory["guests"]>().notNull(),
  discoveredAt: timestamp("discovered_at"),
  /** The last attempt, and its error when it failed (wrong token, untrusted certificate...). */
  attemptedAt: timestamp("attempted_at").notNull(),
  error: text("error"),
});

import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, timestamp, updatedAt } from "./columns.ts";
import { changers, drives } from "./fleet.ts";

export const pools = sqliteTable(
  "pools",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    description: text("description"),
    /** Days a tape's data must be kept before the tape may be reused. */
    retentionDays: integer("retention_days").notNull().default(30),
    /** Whether tapes in this pool may be relabelled and reused once expired. */
    allowReuse: integer("allow_reuse", { mode: "boolean" }).notNull().default(true),
    encryptionKeyId: integer("encryption_key_id"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("pools_name_uq").on(t.name)],
);

export const TAPE_STATES = ["blank", "active", "full", "expired", "retired", "offsite", "error"] as const;
export type TapeState = (typeof TAPE_STATES)[number];

export const tapes = sqliteTable(
  "tapes",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** Barcode on the cartridge (volume tag), e.g. L00001L9. */
    barcode: text("barcode").notNull(),
    /** Label written to file #0 on tape; usually equals the barcode without its media suffix. */
    label: text("label"),
    /** UUID written in the tape label at labelling time. */
    uuid: text("uuid"),
    poolId: integer("pool_id").references(() => pools.id, { onDelete: "set null" }),
    state: text("state", { enum: TAPE_STATES }).notNull().default("blank"),
    generation: text("generation"),
    capacityBytes: integer("capacity_bytes"),
    usedBytes: integer("used_bytes").notNull().default(0),
    /** Number of tape files (label, data, TOC) written so far; where the next set starts. */
    fileCount: integer("file_count").notNull().default(0),
    writeProtected: integer("write_protected", { mode: "boolean" }).notNull().default(false),
    /** Where the cartridge is: in a drive, in a changer slot, or on a shelf / offsite. */
    driveId: integer("drive_id").references(() => drives.id, { onDelete: "set null" }),
    changerId: integer("changer_id").references(() => changers.id, { onDelete: "set null" }),
    slot: integer("slot"),
    location: text("location"),
    labelledAt: timestamp("labelled_at"),
    firstWrittenAt: timestamp("first_written_at"),
    lastWrittenAt: timestamp("last_written_at"),
    expiresAt: timestamp("expires_at"),
    loadCount: integer("load_count"),
    notes: text("notes"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("tapes_barcode_uq").on(t.barcode),
    uniqueIndex("tapes_uuid_uq").on(t.uuid),
    index("tapes_pool_state_idx").on(t.poolId, t.state),
    index("tapes_state_idx").on(t.state),
  ],
);

export const encryptionKeys = sqliteTable(
  "encryption_keys",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    /** SHA-256 fingerprint of the raw key, written to tape labels and TOCs. */
    fingerprint: text("fingerprint").notNull(),
    algorithm: text("algorithm").notNull().default("AES-256-GCM"),
    /** The data key wrapped (AES-KW / AES-GCM) with the hub's master key; never returned by the API. */
    wrappedKey: text("wrapped_key").notNull(),
    /**
     * The key wrapped with an operator's passphrase (contracts/key-export.ts), written into the TOC
     * of every set encrypted with it, so a tape and the passphrase restore without the hub.
     */
    tapeCopy: text("tape_copy"),
    createdAt: createdAt(),
    retiredAt: timestamp("retired_at"),
  },
  (t) => [
    uniqueIndex("encryption_keys_name_uq").on(t.name),
    uniqueIndex("encryption_keys_fp_uq").on(t.fingerprint),
  ],
);

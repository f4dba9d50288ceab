import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, timestamp, updatedAt } from "./columns.ts";
import { changers, drives, sites } from "./fleet.ts";

/** When a pool starts a new media set: never until full, every run, or on a calendar event. */
export const ALLOCATIONS = ["continue", "always", "calendar"] as const;
export type Allocation = (typeof ALLOCATIONS)[number];
/** How long a media set is kept: forever, or `retentionDays` after its last write. */
export const RETENTIONS = ["keep", "timespan"] as const;
/** Which media sets leave the library once closed: none, every one, or those holding a full backup. */
export const OFFSITE_ROTATIONS = ["none", "closed", "closed-with-full"] as const;
export type OffsiteRotation = (typeof OFFSITE_ROTATIONS)[number];

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
    allocation: text("allocation", { enum: ALLOCATIONS }).notNull().default("continue"),
    /** With allocation "calendar": the croner expression whose events start a new media set. */
    allocationCalendar: text("allocation_calendar"),
    retention: text("retention", { enum: RETENTIONS }).notNull().default("timespan"),
    /** The LTO generation the pool accepts ("LTO-9"); null: any. */
    generation: text("generation"),
    /** Barcodes the pool accepts start with this; null: any. */
    barcodePrefix: text("barcode_prefix"),
    /** Compression of jobs made for this pool without one; null: the hub's default. */
    compression: text("compression"),
    /** How long before a scheduled run the hub checks that its tape can be had. */
    preflightLeadMinutes: integer("preflight_lead_minutes").notNull().default(360),
    /** Which closed media sets the hub asks to take offsite (docs/adr/0021). */
    offsiteRotation: text("offsite_rotation", { enum: OFFSITE_ROTATIONS }).notNull().default("none"),
    /** Days a media set stays offsite before it is asked back; null: until its retention ends. */
    offsiteReturnDays: integer("offsite_return_days"),
    /** The site whose tapes the pool holds; null: any site. */
    siteId: integer("site_id").references(() => sites.id),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("pools_name_uq").on(t.name)],
);

/**
 * foreign: holds another program's data (imported); cleaning: a CLN cartridge, never in a pool;
 * offsite: in the vault, asked back by the pool's rotation; exported: handed out of the
 * installation for good, never asked back. Neither offsite nor exported tapes are written.
 */
export const TAPE_STATES = [
  "blank",
  "active",
  "full",
  "expired",
  "retired",
  "offsite",
  "exported",
  "error",
  "foreign",
  "cleaning",
] as const;
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
    /** The site where the cartridge physically is (moved with a recorded tape move). */
    siteId: integer("site_id").references(() => sites.id),
    labelledAt: timestamp("labelled_at"),
    firstWrittenAt: timestamp("first_written_at"),
    lastWrittenAt: timestamp("last_written_at"),
    expiresAt: timestamp("expires_at"),
    loadCount: integer("load_count"),
    /** Cleaning cartridges: how often it has cleaned a drive, and how often it can. */
    cleaningUses: integer("cleaning_uses"),
    cleaningMaxUses: integer("cleaning_max_uses"),
    /** The media set this tape belongs to since it was first written after its (re)label. */
    mediaSetId: integer("media_set_id"),
    notes: text("notes"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("tapes_barcode_uq").on(t.barcode),
    uniqueIndex("tapes_uuid_uq").on(t.uuid),
    index("tapes_pool_state_idx").on(t.poolId, t.state),
    index("tapes_state_idx").on(t.state),
    index("tapes_site_idx").on(t.siteId),
  ],
);

/** A tape carried from one site to another (offsite rotation to a second site's library). */
export const tapeMoves = sqliteTable(
  "tape_moves",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    tapeId: integer("tape_id")
      .notNull()
      .references(() => tapes.id, { onDelete: "cascade" }),
    fromSiteId: integer("from_site_id"),
    toSiteId: integer("to_site_id").notNull(),
    /** Set when the tape moved as part of its media set. */
    mediaSetId: integer("media_set_id"),
    movedAt: timestamp("moved_at").notNull(),
    actor: text("actor").notNull(),
    note: text("note"),
  },
  (t) => [index("tape_moves_tape_idx").on(t.tapeId, t.movedAt)],
);

export const MEDIA_SET_STATES = ["open", "closed", "expired"] as const;
export type MediaSetState = (typeof MEDIA_SET_STATES)[number];

/**
 * The tapes written under one allocation of a pool: what is retained, rotated and reused as one.
 * Open while runs still add to it; closed when the pool's allocation starts the next one (or
 * its tapes are full); expired when its retention is over and nothing retained depends on it.
 */
export const mediaSets = sqliteTable(
  "media_sets",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    poolId: integer("pool_id")
      .notNull()
      .references(() => pools.id, { onDelete: "restrict" }),
    state: text("state", { enum: MEDIA_SET_STATES }).notNull().default("open"),
    startedAt: timestamp("started_at").notNull(),
    lastWrittenAt: timestamp("last_written_at"),
    closedAt: timestamp("closed_at"),
    /** When retention ends (from the last write); null while open or kept forever. */
    expiresAt: timestamp("expires_at"),
    expiredAt: timestamp("expired_at"),
    /** When its tapes were marked offsite (the rotation counts the days away from it). */
    offsiteAt: timestamp("offsite_at"),
  },
  (t) => [index("media_sets_pool_state_idx").on(t.poolId, t.state)],
);

/**
 * A scheduled run's pre-flight: what the hub found it will need and whether that can be had.
 * One row per job; `problem` is null when the run can have its tape.
 */
export const preflightChecks = sqliteTable("preflight_checks", {
  jobId: integer("job_id").primaryKey(),
  runAt: timestamp("run_at").notNull(),
  /** The operator's words for what to do, or null when all is ready. */
  problem: text("problem"),
  checkedAt: timestamp("checked_at").notNull(),
  raisedAt: timestamp("raised_at"),
});

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
    /** The site whose pools and jobs may write with it (and whose users see it); null: any site. */
    siteId: integer("site_id").references(() => sites.id),
    createdAt: createdAt(),
    retiredAt: timestamp("retired_at"),
  },
  (t) => [
    uniqueIndex("encryption_keys_name_uq").on(t.name),
    uniqueIndex("encryption_keys_fp_uq").on(t.fingerprint),
  ],
);

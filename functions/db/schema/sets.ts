import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { createdAt, timestamp } from "./columns.ts";
import { BACKUP_TYPES, jobRuns, jobs } from "./jobs.ts";
import { pools, tapes } from "./media.ts";

export const SET_STATES = ["writing", "complete", "incomplete", "failed", "expired"] as const;

export const backupSets = sqliteTable(
  "backup_sets",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** UUID written into every TOC of the set, so tapes can be matched without the catalog. */
    uuid: text("uuid").notNull(),
    jobId: integer("job_id").references(() => jobs.id, { onDelete: "set null" }),
    runId: integer("run_id").references(() => jobRuns.id, { onDelete: "set null" }),
    poolId: integer("pool_id").references(() => pools.id, { onDelete: "set null" }),
    /** The pool's media set the set was written under; retention is the media set's. */
    mediaSetId: integer("media_set_id"),
    backupType: text("backup_type", { enum: BACKUP_TYPES }).notNull(),
    /** The set an incremental (the previous set) or a differential (the last full) is based on. */
    baseSetId: integer("base_set_id"),
    state: text("state", { enum: SET_STATES }).notNull().default("writing"),
    compression: text("compression").notNull(),
    encryption: text("encryption").notNull(),
    encryptionKeyFingerprint: text("encryption_key_fingerprint"),
    blockSize: integer("block_size").notNull(),
    fileCount: integer("file_count").notNull().default(0),
    /** Bytes of source data (tar member contents). */
    sourceBytes: integer("source_bytes").notNull().default(0),
    /** Bytes written to tape after compression and encryption. */
    tapeBytes: integer("tape_bytes").notNull().default(0),
    startedAt: timestamp("started_at").notNull(),
    finishedAt: timestamp("finished_at"),
    verifiedAt: timestamp("verified_at"),
    verifyResult: text("verify_result"),
    /** Why the catalog does not hold the whole set (a short catalog, a refused report); null when it does. */
    catalogProblem: text("catalog_problem"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("backup_sets_uuid_uq").on(t.uuid),
    index("backup_sets_job_idx").on(t.jobId, t.startedAt),
    index("backup_sets_started_idx").on(t.startedAt),
  ],
);

/** One row per tape a set touches: the set's data file and TOC file on that tape. */
export const backupSetSegments = sqliteTable(
  "backup_set_segments",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    setId: integer("set_id")
      .notNull()
      .references(() => backupSets.id, { onDelete: "cascade" }),
    /** 0-based position of this segment within the set. */
    sequence: integer("sequence").notNull(),
    tapeId: integer("tape_id")
      .notNull()
      .references(() => tapes.id, { onDelete: "restrict" }),
    /** Tape file number of the data file (the TOC is the next file). */
    fileNumber: integer("file_number").notNull(),
    /** Byte offset within the set's stream where this segment starts. */
    streamOffset: integer("stream_offset").notNull().default(0),
    bytes: integer("bytes").notNull().default(0),
    blocks: integer("blocks").notNull().default(0),
    complete: integer("complete", { mode: "boolean" }).notNull().default(false),
    /** What the agent (or, after a rebuild, the tape's TOC) says this segment's catalog holds. */
    catalogEntries: integer("catalog_entries"),
    catalogDigest: text("catalog_digest"),
    /** The catalog's rows for this segment were found to match that. */
    catalogChecked: integer("catalog_checked", { mode: "boolean" }).notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("segments_set_seq_uq").on(t.setId, t.sequence),
    index("segments_tape_idx").on(t.tapeId),
  ],
);

export const ENTRY_TYPES = ["file", "dir", "symlink", "hardlink", "char", "block", "fifo", "other"] as const;

/** Every member of every set. Narrow on purpose: tens of millions of rows. */
export const catalogEntries = sqliteTable(
  "catalog_entries",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    setId: integer("set_id")
      .notNull()
      .references(() => backupSets.id, { onDelete: "cascade" }),
    /** Parent directory ("" for top-level members) and the last path component. */
    dir: text("dir").notNull(),
    name: text("name").notNull(),
    type: text("type", { enum: ENTRY_TYPES }).notNull(),
    size: integer("size").notNull(),
    mode: integer("mode").notNull(),
    uid: integer("uid").notNull(),
    gid: integer("gid").notNull(),
    mtime: integer("mtime").notNull(),
    linkTarget: text("link_target"),
    sha256: text("sha256"),
    /** Byte offset of the member's tar header within the set's uncompressed stream. */
    offset: integer("offset").notNull(),
    /** Segment (tape) holding the header, and the one holding the last byte when it crosses. */
    segment: integer("segment").notNull().default(0),
    endSegment: integer("end_segment").notNull().default(0),
    /** True when an incremental records this path as deleted since its base. */
    deleted: integer("deleted", { mode: "boolean" }).notNull().default(false),
  },
  (t) => [
    // Browse a set directory by directory.
    index("catalog_set_dir_idx").on(t.setId, t.dir, t.name),
    // Every version of a path (name = ? and dir = ?) and name search by prefix, in one index:
    // each index costs ingest time, and catalogs grow to tens of millions of rows. The set id
    // makes it covering for a name search within one set (no row read per candidate name).
    // Substring search goes through catalog_names (below) and its trigram index.
    index("catalog_name_dir_set_idx").on(t.name, t.dir, t.setId),
    // A set's entries in id order (its reconciliation, totals, deletion, a search within it).
    // Entries arrive in id order per set, so this index only grows at its end (cheap at ingest).
    index("catalog_set_idx").on(t.setId),
  ],
);

/**
 * Every name catalog_entries holds, once (593,041 distinct names at 10M entries: 6 %). A trigger
 * on catalog_entries keeps it in step on insert; the trigram index catalog_names_fts (an FTS5 table
 * outside the drizzle schema) covers it instead of the entries, so a glob tests each name once.
 * A name may outlive its entries (dropSetEntries prunes them); searches join the entries anyway.
 */
export const catalogNames = sqliteTable(
  "catalog_names",
  {
    id: integer("id").primaryKey(),
    name: text("name").notNull(),
  },
  // Also catalog_names_ext_idx on the name's extension (migration 0007; drizzle-kit cannot write
  // that expression), so that a glob ending in `.c` is a lookup rather than a scan of every name.
  (t) => [uniqueIndex("catalog_names_name_uq").on(t.name)],
);

/**
 * Every trigram (three characters in a row) a name in catalog_names has held: the terms of the
 * trigram index, ~2,500 at 10M entries. A trigger on catalog_names adds a new name's (migration
 * 0023); none leaves, so it may hold a term no name has now (a search then finds no name by it).
 * A glob with no three literal characters in a row (`*-?.x*`) finds its terms here (`-?.`, `?.x`)
 * and its names through the trigram index by them, instead of testing every name.
 */
export const catalogNameTrigrams = sqliteTable("catalog_name_trigrams", {
  term: text("term").primaryKey(),
});

/**
 * A name after its last "." (the whole name when it has none), in SQL: rtrim drops every trailing
 * character but ".". Written exactly as catalog_names_ext_idx is, so SQLite uses that index.
 */
export const NAME_EXTENSION = "substr(name, length(rtrim(name, replace(name, '.', ''))) + 1)";

/** Sequence numbers of catalog chunks already ingested, so a re-sent chunk is a no-op. */
export const catalogChunks = sqliteTable(
  "catalog_chunks",
  {
    setId: integer("set_id")
      .notNull()
      .references(() => backupSets.id, { onDelete: "cascade" }),
    sequence: integer("sequence").notNull(),
    entries: integer("entries").notNull(),
    receivedAt: timestamp("received_at").notNull(),
  },
  (t) => [uniqueIndex("catalog_chunks_uq").on(t.setId, t.sequence)],
);

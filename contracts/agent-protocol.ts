import { z } from "zod";
import { GuestBackupSpec, GuestOutcome, GuestRestoreSpec, PveConnection, PveInventory } from "./proxmox.ts";

/**
 * The drive-agent protocol: what the hub and an agent must agree on. The agent only ever
 * calls the hub (hosts behind NAT need no inbound port); the hub talks back through signed
 * work orders and the answers to the agent's posts.
 *
 *   POST /agent/v1/enroll                      one-time token → agent id + hub signing key
 *   GET  /agent/v1/orders/next?wait=S          long poll: 200 {order: <JWS>} or 204
 *   POST /agent/v1/heartbeat                   drives and changers as the agent sees them
 *   POST /agent/v1/orders/:orderId/ack         the agent accepted the order
 *   POST /agent/v1/orders/:orderId/progress    every ≤ 2 s; the answer carries cancel/pause
 *   POST /agent/v1/orders/:orderId/logs        job log lines (tar warnings, unreadable files)
 *   POST /agent/v1/orders/:orderId/catalog     catalog chunk with a sequence number (idempotent)
 *   POST /agent/v1/orders/:orderId/segments    a set's data+TOC closed on one tape
 *   POST /agent/v1/orders/:orderId/result      final state of the order
 *   POST /agent/v1/orders/:orderId/scan/tape   a scanned tape's identity (scan orders)
 *   POST /agent/v1/orders/:orderId/scan/set    one TOC of a scanned tape; answers whether it is new
 *   POST /agent/v1/orders/:orderId/scan/segment that TOC's files were all sent (after its chunks)
 *
 * Every request after enrollment carries `Authorization: Bearer <JWT>` signed with the
 * agent's Ed25519 key (iss = agent id, aud = AGENT_TOKEN_AUDIENCE, exp ≤ 5 min).
 */
export const AGENT_API_PREFIX = "/agent/v1";
export const AGENT_TOKEN_AUDIENCE = "tapebackarr-hub";
export const ORDER_ISSUER = "tapebackarr-hub";
/** `typ` of a work-order JWS; the agent refuses any other. */
export const ORDER_TYPE = "tapebackarr-order+jws";
/** JWS `typ` of the hub's offer of tapes to a backup waiting for one (ProgressAnswer.tapeOffer). */
export const TAPE_OFFER_TYPE = "tapebackarr-tape-offer+jws";
export const MAX_AGENT_TOKEN_SECONDS = 300;
export const MAX_POLL_WAIT_SECONDS = 30;

/**
 * The protocol an agent speaks, sent in every heartbeat. The hub speaks the range below; an agent
 * outside it is shown as such and warned about (an agent that sends none speaks protocol 1, the
 * one before the field existed). Raise AGENT_PROTOCOL when a change breaks older agents, and the
 * oldest one when the hub stops understanding them.
 */
export const AGENT_PROTOCOL = 1;
export const OLDEST_AGENT_PROTOCOL = 1;
/**
 * An agent's clock further than this from the hub's is warned about: the hub accepts agent
 * tokens with 30 s of tolerance, and the agent checks order expiry (10 min) on its own clock.
 */
export const MAX_AGENT_CLOCK_SKEW_SECONDS = 20;

/**
 * Wire limits, stated once. The agent cuts every report (catalog chunks, log batches, restore
 * results) to at most MAX_REPORT_BYTES of JSON, and the hub's agent routes accept bodies up to it
 * (apart from MAX_BODY_BYTES, the limit for browsers and API clients). A catalog chunk also holds
 * at most MAX_CATALOG_CHUNK_ENTRIES entries: that bounds the hub's work per request.
 */
export const MAX_REPORT_BYTES = 4 * 1024 * 1024;
export const MAX_CATALOG_CHUNK_ENTRIES = 5_000;
export const MAX_LOG_LINES_PER_REPORT = 1_000;
export const MAX_RESTORE_RESULTS_PER_REPORT = 5_000;

const okpPublicJwk = (crv: "Ed25519" | "X25519") =>
  z
    .object({ kty: z.literal("OKP"), crv: z.literal(crv), x: z.string().regex(/^[A-Za-z0-9_-]{43}$/) })
    .strict();

export const Ed25519PublicJwk = okpPublicJwk("Ed25519");
export const X25519PublicJwk = okpPublicJwk("X25519");

const name = z.string().trim().min(1).max(128);
const devicePath = z.string().min(1).max(512);
const barcode = z.string().regex(/^[A-Z0-9]{1,16}$/);

/** What a drive says of its health: TapeAlert flags set (sg_logs 0x2e) and error counters (0x02, 0x03). */
export const DriveHealthReport = z.object({
  alerts: z
    .array(
      z.object({
        code: z.number().int().min(1).max(64),
        name: z.string().max(100),
        severity: z.enum(["critical", "warning", "information"]),
      }),
    )
    .max(64),
  counters: z
    .object({
      writeCorrected: z.number().int().min(0),
      writeUncorrected: z.number().int().min(0),
      readCorrected: z.number().int().min(0),
      readUncorrected: z.number().int().min(0),
      bytesWritten: z.number().int().min(0),
      bytesRead: z.number().int().min(0),
    })
    .nullable(),
});
export type DriveHealthReport = z.output<typeof DriveHealthReport>;

/** TapeAlert flags that ask for a cleaning cartridge (SSC: 20 cleaning required, 21 requested). */
export const CLEANING_FLAGS = [20, 21] as const;
/** TapeAlert 22: the cleaning cartridge is spent. */
export const EXPIRED_CLEANING_MEDIA = 22;

export const DriveReport = z.object({
  devicePath,
  name,
  kind: z.enum(["st", "vtl"]),
  /** Data transfer element index in its changer, when the drive sits in one. */
  changerIndex: z.number().int().min(0).nullable().default(null),
  changerDevice: devicePath.nullable().default(null),
  vendor: z.string().max(64).nullable().default(null),
  model: z.string().max(64).nullable().default(null),
  serial: z.string().max(64).nullable().default(null),
  generation: z.string().max(16).nullable().default(null),
  state: z.enum(["idle", "busy", "offline", "error"]).default("idle"),
  loadedBarcode: barcode.nullable().default(null),
  /** Native capacity of the loaded cartridge when the agent knows it (vtl, MAM, barcode suffix). */
  loadedCapacityBytes: z.number().int().positive().nullable().default(null),
  alerts: z.array(z.string().max(200)).max(64).default([]),
  /** Read on every heartbeat and after each order; null when the drive cannot say (no sg node). */
  health: DriveHealthReport.nullable().default(null),
});
export type DriveReport = z.output<typeof DriveReport>;

export const ChangerReport = z.object({
  devicePath,
  name,
  slots: z
    .array(
      z.object({
        slot: z.number().int().min(1),
        barcode: barcode.nullable(),
        importExport: z.boolean().default(false),
        /** Native capacity of the cartridge in the slot when the agent knows it (vtl, barcode suffix). */
        capacityBytes: z.number().int().positive().nullable().default(null),
      }),
    )
    .max(10_000),
});
export type ChangerReport = z.output<typeof ChangerReport>;

export const EnrollRequest = z.object({
  token: z.string().min(20).max(200),
  signingKey: Ed25519PublicJwk,
  encryptionKey: X25519PublicJwk,
  hostname: z.string().max(253),
  version: z.string().max(64),
  drives: z.array(DriveReport).max(256),
  changers: z.array(ChangerReport).max(64).default([]),
});
export type EnrollRequest = z.input<typeof EnrollRequest>;

export const EnrollResponse = z.object({
  agentId: z.string(),
  /** The hub's order-signing key; the agent pins it and refuses orders signed by any other. */
  hubSigningKey: Ed25519PublicJwk,
});
export type EnrollResponse = z.output<typeof EnrollResponse>;

export const HeartbeatRequest = z.object({
  version: z.string().max(64),
  /** AGENT_PROTOCOL of the agent's build. */
  protocol: z.number().int().min(0).max(1_000_000).default(1),
  /** The agent's clock (epoch ms) when it sent the heartbeat: the hub works out the skew. */
  sentAt: z.number().int().min(0).optional(),
  drives: z.array(DriveReport).max(256),
  changers: z.array(ChangerReport).max(64).default([]),
  /** Orders the agent is working on right now (so the hub can spot ones lost in a crash). */
  activeOrders: z.array(z.string().max(64)).max(64).default([]),
});
export type HeartbeatRequest = z.input<typeof HeartbeatRequest>;

// ---------------------------------------------------------------------------------------------
// Work orders (the JWS payload). Verified on the raw bytes before this schema ever sees them.

export const CATALOG_ENTRY_TYPES = [
  "file",
  "dir",
  "symlink",
  "hardlink",
  "char",
  "block",
  "fifo",
  "other",
] as const;

const Compression = z.enum(["none", "gzip", "zstd"]);
export const BACKUP_SET_TYPES = ["full", "incremental", "differential"] as const;
const BlockSize = z
  .number()
  .int()
  .min(512)
  .max(4 * 1024 * 1024);

/** How a set is encrypted, shared by the orders that write and read it. */
export const OrderEncryption = z.object({
  algorithm: z.enum(["none", "aes-256-gcm"]),
  keyFingerprint: z.string().max(128).nullable(),
  /** The 32-byte data key as a compact JWE (ECDH-ES+A256KW, A256GCM) to the agent's X25519 key. */
  dataKeyJwe: z.string().max(4096).nullable(),
  /** The passphrase-wrapped key to write into each TOC of the set (docs/tape-format.md, "Keys"). */
  wrappedKey: z.string().max(300).nullable().optional(),
});

export const TapeTarget = z.object({
  barcode,
  /** What the label in file #0 must say; the agent refuses to write to any other tape. */
  label: z.string().min(1).max(64),
  uuid: z.string().max(64),
  /** Tape file number where the next set starts (after the last TOC); null: find EOD. */
  nextFile: z.number().int().min(1).nullable(),
});
export type TapeTarget = z.output<typeof TapeTarget>;

export const BackupOrderBody = z.object({
  kind: z.literal("backup"),
  runId: z.number().int().positive(),
  job: z.object({ id: z.number().int().positive(), name }),
  set: z.object({
    uuid: z.string().uuid(),
    /**
     * incremental: what changed since the job's last complete set; differential: since its last
     * complete full. Either compares the walk with the base set's manifest on the agent, path by
     * path (new path, or type/size/mtime/ctime/inode/link changed), and records deletions.
     */
    backupType: z.enum(BACKUP_SET_TYPES),
    /** The base set's start: for the operator's words only, the agent decides by the manifest. */
    changedSince: z.string().datetime().nullable(),
    /** The set the comparison is with (its manifest on the agent); null for a full. */
    baseSetUuid: z.string().uuid().nullable(),
  }),
  source: z.object({
    /** Empty only for a guest backup (`guests`), which reads vzdump streams instead of paths. */
    paths: z.array(z.string().min(1).max(4096)).max(64),
    include: z.array(z.string().max(1024)).max(256),
    exclude: z.array(z.string().max(1024)).max(256),
  }),
  /** A Proxmox source: the guests to vzdump into the set (contracts/proxmox.ts). */
  guests: GuestBackupSpec.optional(),
  pool: z.object({ id: z.number().int().positive(), name }),
  compression: Compression,
  encryption: OrderEncryption,
  blockSize: BlockSize,
  drive: z.object({ devicePath }),
  /** The tape to start on, and the ones of the pool the agent may continue on (in order). */
  tape: TapeTarget,
  continuationTapes: z.array(TapeTarget).max(1000),
  /**
   * A catalog backup: before writing, the agent fetches the hub's catalog snapshot
   * (GET /agent/v1/orders/:id/catalog-snapshot) into a directory `tapebackarr-catalog` and backs
   * that up instead of `source.paths` (docs/adr/0013).
   */
  catalogSnapshot: z.boolean().optional(),
  /** A source with no file to back up is fine (the job says so); otherwise such a run fails. */
  allowEmpty: z.boolean().default(false),
  /** What the job's last successful run of this type backed up: the first progress estimate. */
  expected: z
    .object({ files: z.number().int().min(0), bytes: z.number().int().min(0) })
    .nullable()
    .default(null),
});
export type BackupOrderBody = z.output<typeof BackupOrderBody>;

/** A backup reads either paths or guests: never an empty list of paths on its own. */
export function backupSourceProblem(body: BackupOrderBody): string | null {
  if (body.guests && body.source.paths.length > 0) return "a guest backup names no paths";
  if (!body.guests && body.source.paths.length === 0) return "a backup names at least one path";
  return null;
}

export const LabelOrderBody = z.object({
  kind: z.literal("label"),
  runId: z.number().int().positive().nullable(),
  drive: z.object({ devicePath }),
  tape: z.object({
    barcode,
    label: z.string().min(1).max(64),
    uuid: z.string().max(64),
    pool: z.string().max(128),
  }),
  /** Overwrite a tape whose label says it holds data. Only when an operator said so, or for a reuse. */
  force: z.boolean(),
  /**
   * A reuse: the uuid the tape's current label must carry. The agent reads the label first and
   * refuses when it is another (or no) label, so only the expired tape the hub checked is overwritten.
   */
  expectedUuid: z.string().max(64).nullish(),
});
export type LabelOrderBody = z.output<typeof LabelOrderBody>;

/**
 * Takes the cartridge out of the drive: rewind and unload, and back to its home slot (or any
 * empty one) when the drive sits in a changer. The agent refuses when the drive holds another
 * cartridge than the one the hub expects.
 */
export const EjectOrderBody = z.object({
  kind: z.literal("eject"),
  runId: z.number().int().positive().nullable(),
  drive: z.object({ devicePath }),
  expectedBarcode: barcode,
});
export type EjectOrderBody = z.output<typeof EjectOrderBody>;

/**
 * Changer and drive care, all through the order's drive (the one the robot loads into): rescan the
 * inventory, load/unload/transfer, import every cartridge in the mail slots (moved to a free slot,
 * its label read), export cartridges to the mail slots, clean the drive with a CLN cartridge, and
 * erase a tape (short: it reads as blank; long: the whole tape, hours on real drives).
 */
export const LibraryOperation = z.discriminatedUnion("op", [
  z.object({ op: z.literal("inventory") }),
  z.object({ op: z.literal("load"), slot: z.number().int().min(0) }),
  z.object({ op: z.literal("unload"), slot: z.number().int().min(0).nullable() }),
  z.object({ op: z.literal("transfer"), from: z.number().int().min(0), to: z.number().int().min(0) }),
  z.object({ op: z.literal("import") }),
  z.object({ op: z.literal("export"), barcodes: z.array(barcode).min(1).max(1000) }),
  z.object({ op: z.literal("clean"), barcode }),
  z.object({
    op: z.literal("erase"),
    barcode,
    long: z.boolean(),
    /** The label the hub knows on the tape; the agent refuses to erase a tape that says otherwise. */
    expectedLabel: z.string().max(64).nullable(),
  }),
]);
export type LibraryOperation = z.output<typeof LibraryOperation>;

export const LibraryOrderBody = z.object({
  kind: z.literal("library"),
  runId: z.null().default(null),
  drive: z.object({ devicePath }),
  changer: z.object({ devicePath }).nullable(),
  operation: LibraryOperation,
});
export type LibraryOrderBody = z.output<typeof LibraryOrderBody>;

/** What a library order did, for the hub to record (the next heartbeat carries the new inventory). */
export const LibraryResult = z.object({
  imported: z
    .array(
      z.object({
        barcode,
        slot: z.number().int().min(0),
        kind: z.enum(["labelled", "foreign", "blank", "cleaning"]),
        label: z
          .object({ label: z.string().min(1).max(64), uuid: z.string().max(64), pool: z.string().max(128) })
          .nullable(),
        filesOnTape: z.number().int().min(0),
      }),
    )
    .max(1000)
    .optional(),
  exported: z
    .array(z.object({ barcode, slot: z.number().int().min(0) }))
    .max(1000)
    .optional(),
  cleaned: z
    .object({
      barcode,
      /** Uses after this one, when the cartridge or library counts them (null: the hub counts). */
      uses: z.number().int().min(0).nullable(),
      maxUses: z.number().int().min(1).nullable(),
      /** The cartridge was spent: nothing was cleaned (TapeAlert 22). */
      spent: z.boolean(),
    })
    .optional(),
  erased: z.object({ barcode, long: z.boolean() }).optional(),
});
export type LibraryResult = z.output<typeof LibraryResult>;

/** A set as an order that reads it back (restore, verify) must know it to decode it. */
const SetToRead = z.object({
  uuid: z.string().uuid(),
  compression: Compression,
  encryption: OrderEncryption,
  blockSize: BlockSize,
});

/** One tape of a restore, in the order it is read: which set file to read and from where. */
export const RestoreTape = z.object({
  barcode,
  label: z.string().min(1).max(64),
  uuid: z.string().max(64),
  /** 0-based segment of the set on this tape. */
  sequence: z.number().int().min(0),
  /** Tape file number of the set's data file on this tape. */
  fileNumber: z.number().int().min(1),
  /** Byte offset of this segment within the set's stream (tape bytes, after compression/encryption). */
  streamOffset: z.number().int().min(0),
});
export type RestoreTape = z.output<typeof RestoreTape>;

/**
 * What to restore of one set: tar member paths (as catalogued) with their expected sha256, size
 * and header offset in the uncompressed stream, sorted by offset. Empty = the whole set.
 */
const RestoreFiles = z
  .array(
    z.object({
      path: z.string().min(1).max(4096),
      type: z.enum(CATALOG_ENTRY_TYPES),
      size: z.number().int().min(0),
      sha256: z
        .string()
        .regex(/^[0-9a-f]{64}$/)
        .nullable(),
      offset: z.number().int().min(0),
      segment: z.number().int().min(0),
    }),
  )
  .max(1_000_000);

export const RestoreOrderBody = z.object({
  kind: z.literal("restore"),
  runId: z.number().int().positive(),
  set: SetToRead,
  files: RestoreFiles,
  tapes: z.array(RestoreTape).min(1).max(1000),
  /**
   * A point-in-time restore over a chain: the sets read after `set`, in order, each with the
   * files whose version it holds (never empty: a set holding none is not read). Encrypted sets
   * share `set`'s data key.
   */
  more: z
    .array(
      z.object({ set: SetToRead, files: RestoreFiles.min(1), tapes: z.array(RestoreTape).min(1).max(1000) }),
    )
    .max(1000)
    .optional(),
  destination: z.string().min(1).max(4096),
  /**
   * A guest restore: the files are one guest's archive parts, whose content is fed in order to
   * qmrestore / pct restore on the agent's node instead of being written under `destination`.
   */
  guest: GuestRestoreSpec.optional(),
  /** What to do when a file already exists at the destination. */
  overwrite: z.enum(["skip", "overwrite", "rename"]),
  drive: z.object({ devicePath }),
});
export type RestoreOrderBody = z.output<typeof RestoreOrderBody>;

/** Reads the label and every TOC of a tape and posts them, so the hub can rebuild its catalog. */
export const ScanOrderBody = z.object({
  kind: z.literal("scan"),
  runId: z.number().int().positive(),
  drive: z.object({ devicePath }),
  /** The cartridge to load first when the drive sits in a changer; null: scan what is loaded. */
  barcode: barcode.nullable(),
  /**
   * Rebuild this set's catalog from the tape's TOC: the hub answers "rebuild" for its TOC and adds
   * the entries its catalog lacks (a short catalog), though the set is known from a backup.
   */
  rebuildSetUuid: z.string().uuid().nullable().default(null),
});
export type ScanOrderBody = z.output<typeof ScanOrderBody>;
/**
 * Read a whole set back: every tape in order, every file's sha256 against the set's TOCs, the tar
 * structure to its end. Nothing is written anywhere; damaged files are logged by name and tape.
 */
export const VerifyOrderBody = z.object({
  kind: z.literal("verify"),
  runId: z.number().int().positive(),
  set: SetToRead,
  tapes: z.array(RestoreTape).min(1).max(1000),
  drive: z.object({ devicePath }),
});
export type VerifyOrderBody = z.output<typeof VerifyOrderBody>;

/**
 * Ask the PVE API (from the agent on the PVE node: the hub never reaches it) for its nodes and
 * guests; the answer is the result's `inventory`. Needs no drive.
 */
export const DiscoverOrderBody = z.object({
  kind: z.literal("discover"),
  runId: z.null(),
  pve: PveConnection,
});
export type DiscoverOrderBody = z.output<typeof DiscoverOrderBody>;

/**
 * Rerun drive detection on the agent's host (`drive-agent detect`: sysfs, or the virtual
 * library's drives) and take what it finds as the agent's drives: new ones join, vanished ones
 * leave (the hub keeps them, marked missing). Needs no drive; the next heartbeat carries the list.
 */
export const DetectOrderBody = z.object({
  kind: z.literal("detect"),
  runId: z.null(),
});
export type DetectOrderBody = z.output<typeof DetectOrderBody>;

export const OrderBody = z.discriminatedUnion("kind", [
  DiscoverOrderBody,
  BackupOrderBody,
  LabelOrderBody,
  RestoreOrderBody,
  EjectOrderBody,
  ScanOrderBody,
  VerifyOrderBody,
  LibraryOrderBody,
  DetectOrderBody,
]);
export type OrderBody = z.output<typeof OrderBody>;

/** The drive an order uses, or null (a discover order talks to the PVE API only; detect to sysfs). */
export function drivePathOf(body: OrderBody): string | null {
  return body.kind === "discover" || body.kind === "detect" ? null : body.drive.devicePath;
}

/** The set an order writes or reads, or null for orders about a tape or a drive. */
export function setUuidOf(body: OrderBody): string | null {
  return body.kind === "backup" || body.kind === "restore" || body.kind === "verify" ? body.set.uuid : null;
}

/** The sealed PVE token secret an order carries, or null. */
export function pveTokenJweOf(body: OrderBody): string | null {
  if (body.kind === "backup") return body.guests?.pve.tokenSecretJwe ?? null;
  if (body.kind === "restore") return body.guest?.pve?.tokenSecretJwe ?? null;
  if (body.kind === "discover") return body.pve.tokenSecretJwe;
  return null;
}

/** The body with the PVE token secret sealed in (the hub does this for each delivery). */
export function withPveTokenJwe<T extends OrderBody>(body: T, tokenSecretJwe: string): T {
  if (body.kind === "backup" && body.guests)
    return { ...body, guests: { ...body.guests, pve: { ...body.guests.pve, tokenSecretJwe } } };
  if (body.kind === "restore" && body.guest?.pve)
    return { ...body, guest: { ...body.guest, pve: { ...body.guest.pve, tokenSecretJwe } } };
  if (body.kind === "discover") return { ...body, pve: { ...body.pve, tokenSecretJwe } };
  return body;
}

/** The Proxmox source whose token an order needs, or null. */
export function pveSourceOf(body: OrderBody): number | null {
  if (body.kind === "backup") return body.guests?.pve.sourceId ?? null;
  if (body.kind === "restore") return body.guest?.pve?.sourceId ?? null;
  if (body.kind === "discover") return body.pve.sourceId;
  return null;
}

/** How the set an order writes or reads is encrypted (its data key travels here), or null. */
export function encryptionOf(body: OrderBody): z.output<typeof OrderEncryption> | null {
  if (body.kind === "backup") return body.encryption;
  if (body.kind === "restore" || body.kind === "verify") return body.set.encryption;
  return null;
}

/** The body with its data key sealed in (the hub does this for each delivery). */
export function withDataKeyJwe<T extends OrderBody>(body: T, dataKeyJwe: string): T {
  if (body.kind === "backup") return { ...body, encryption: { ...body.encryption, dataKeyJwe } };
  if (body.kind === "restore" || body.kind === "verify")
    return { ...body, set: { ...body.set, encryption: { ...body.set.encryption, dataKeyJwe } } };
  return body;
}

/** The claims of a work-order JWS: registered claims + the body. */
export const OrderClaims = z.object({
  iss: z.literal(ORDER_ISSUER),
  aud: z.string(),
  jti: z.string().min(16).max(64),
  iat: z.number().int(),
  exp: z.number().int(),
  body: OrderBody,
});
export type OrderClaims = z.output<typeof OrderClaims>;

// ---------------------------------------------------------------------------------------------
// Reports from the agent while an order runs.

export const RUN_REPORT_STATES = ["running", "waiting-for-tape", "paused"] as const;

/**
 * How well a backup kept its drive streaming (contracts/lto-speeds.ts judges it): how often and
 * how long the drive writer waited on an empty buffer after its first write, and the rate the
 * source fed it since then, against the slowest feed the drive streams at (null: no floor known,
 * or a drive that cannot shoe-shine, such as the virtual library).
 */
export const StreamingHealth = z.object({
  waits: z.number().int().min(0),
  waitedMs: z.number().int().min(0),
  bytes: z.number().int().min(0),
  feedBytesPerSec: z.number().min(0).nullable(),
  minBytesPerSec: z.number().min(0).nullable(),
});
export type StreamingHealth = z.output<typeof StreamingHealth>;

export const ProgressReport = z.object({
  /** Increases with every report; an older one arriving late is ignored. */
  seq: z.number().int().min(0),
  state: z.enum(RUN_REPORT_STATES),
  bytesDone: z.number().int().min(0),
  bytesTotal: z.number().int().min(0).nullable(),
  filesDone: z.number().int().min(0),
  filesTotal: z.number().int().min(0).nullable(),
  currentPath: z.string().max(4096).nullable(),
  rateBytesPerSec: z.number().min(0).nullable(),
  etaSeconds: z.number().int().min(0).nullable(),
  tapeBarcode: barcode.nullable(),
  /** Words for the operator, e.g. which tapes would do when waiting for one. */
  message: z.string().max(1000).nullable(),
  /** bytesTotal/filesTotal are an estimate (the previous run, then the agent's walk once it has listed the sources), not yet counted. */
  totalsEstimated: z.boolean().default(false),
  /** Backups: the drive's streaming so far (absent before the first write, and for other kinds). */
  streaming: StreamingHealth.optional(),
});
export type ProgressReport = z.input<typeof ProgressReport>;

/** Most tapes one progress answer offers a run waiting for a tape. */
export const MAX_SPARE_TAPES = 100;

/** What the hub answers to progress: the operator's wishes travel back this way. */
export const ProgressAnswer = z.object({
  control: z.enum(["continue", "pause", "cancel"]),
  /**
   * Only while the run reports waiting-for-tape: a compact JWS (TapeOfferClaims, signed with the
   * order key) naming the tapes of its pool the hub gives the set now (labelled, inserted or
   * moved into the changer since the order was sent). Like an order, it is verified before use;
   * the agent still checks each label against its entry before it writes, at end of data.
   */
  tapeOffer: z
    .string()
    .max(256 * 1024)
    .optional(),
});

/** The claims of a tape offer: for one order of one agent, good for a short while. */
export const TapeOfferClaims = z.object({
  iss: z.literal(ORDER_ISSUER),
  aud: z.string(),
  /** The order (work-order id) the offer amends. */
  sub: z.string().min(16).max(64),
  iat: z.number().int(),
  exp: z.number().int(),
  tapes: z.array(TapeTarget).max(MAX_SPARE_TAPES),
});
export type TapeOfferClaims = z.output<typeof TapeOfferClaims>;
export type ProgressAnswer = z.output<typeof ProgressAnswer>;

export const LogLines = z.object({
  /** The agent's report number (unique within the order): a re-sent batch is a no-op. */
  seq: z.number().int().min(0).optional(),
  lines: z
    .array(
      z.object({
        at: z.string().datetime(),
        level: z.enum(["debug", "info", "warn", "error"]),
        message: z.string().max(4000),
        path: z.string().max(4096).nullable().default(null),
      }),
    )
    .min(1)
    .max(MAX_LOG_LINES_PER_REPORT),
});
export type LogLines = z.input<typeof LogLines>;

/** Positional tuple per entry keeps chunks small (a short path: ~200 bytes of JSON an entry). */
export const CatalogEntry = z.tuple([
  z.string().min(1).max(4096), // path (as stored in tar, relative, '/'-separated)
  z.enum(CATALOG_ENTRY_TYPES),
  z.number().int().min(0), // size
  z.number().int().min(0), // mode (permission + special bits)
  z.number().int().min(0), // uid
  z.number().int().min(0), // gid
  z.number().int(), // mtime, Unix seconds
  z.string().max(4096).nullable(), // link target
  z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable(), // sha256 of the content (files only)
  z.number().int().min(0), // byte offset of the tar header in the set's uncompressed stream
  z.number().int().min(0), // segment (tape sequence) holding the header
  z.number().int().min(0), // segment holding the last byte
  z.boolean(), // deleted since the base set (incrementals)
]);
export type CatalogEntry = z.output<typeof CatalogEntry>;

export const CatalogChunk = z.object({
  setUuid: z.string().uuid(),
  seq: z.number().int().min(0),
  entries: z.array(CatalogEntry).max(MAX_CATALOG_CHUNK_ENTRIES),
});
export type CatalogChunk = z.input<typeof CatalogChunk>;

/**
 * The chunk as the hub's edge checks it: the envelope with zod, the entries by a hand-written
 * check of the same tuple shape (zod costs ~6 µs per entry, more than storing it).
 */
export const CatalogChunkHeader = z.object({
  setUuid: z.string().uuid(),
  seq: z.number().int().min(0),
  entries: z.array(z.unknown()).max(MAX_CATALOG_CHUNK_ENTRIES),
});

export const SegmentReport = z.object({
  /** The agent's report number (unique within the order). */
  seq: z.number().int().min(0).optional(),
  setUuid: z.string().uuid(),
  /** 0-based position of this tape within the set. */
  sequence: z.number().int().min(0),
  tapeBarcode: barcode,
  fileNumber: z.number().int().min(1),
  streamOffset: z.number().int().min(0),
  bytes: z.number().int().min(0),
  blocks: z.number().int().min(0),
  complete: z.boolean(),
  /** Where the next set may start on this tape (after this segment's TOC). */
  nextFile: z.number().int().min(1),
  tapeFull: z.boolean(),
});
export type SegmentReport = z.input<typeof SegmentReport>;

/** Per-file outcome of a restore, posted in batches like log lines. */
export const RestoreFileResults = z.object({
  files: z
    .array(
      z.object({
        path: z.string().max(4096),
        outcome: z.enum(["restored", "skipped", "renamed", "failed"]),
        /** Where it was written (differs from path when renamed). */
        writtenTo: z.string().max(8192).nullable().default(null),
        error: z.string().max(2000).nullable().default(null),
      }),
    )
    .min(1)
    .max(MAX_RESTORE_RESULTS_PER_REPORT),
});
export type RestoreFileResults = z.input<typeof RestoreFileResults>;

export const ORDER_RESULT_STATES = [
  "completed",
  "completed-with-warnings",
  "failed",
  "cancelled",
  "interrupted",
] as const;

/**
 * What the agent sent to the catalog for one tape segment: the entries whose header lies on that
 * tape (deletion markers on the set's last one), counted, with their CatalogDigest. The hub
 * compares it with what it ingested before it calls the set complete.
 */
export const SegmentCatalogTally = z.object({
  sequence: z.number().int().min(0),
  entries: z.number().int().min(0),
  digest: z.string().regex(/^[0-9a-f]{64}$/),
});
export type SegmentCatalogTally = z.output<typeof SegmentCatalogTally>;

export const OrderResult = z.object({
  state: z.enum(ORDER_RESULT_STATES),
  error: z.string().max(4000).nullable().default(null),
  /** Whether retrying can help (drive busy) or an operator must act (medium error). */
  retryable: z.boolean().default(false),
  summary: z
    .object({
      files: z.number().int().min(0),
      sourceBytes: z.number().int().min(0),
      tapeBytes: z.number().int().min(0),
      warnings: z.number().int().min(0),
      catalogChunks: z.number().int().min(0),
    })
    .partial()
    .default({}),
  /**
   * Backups: an incremental or differential the agent wrote as a full (the base set's manifest is
   * not on it); the hub records the set as a full then.
   */
  writtenAs: z.literal("full").optional(),
  /** Backups: per segment written, what the agent sent to the catalog (absent when nothing was). */
  catalog: z.array(SegmentCatalogTally).max(1000).optional(),
  /** Labels: the native capacity of the labelled cartridge, as the drive knows it (absent: unknown). */
  tapeCapacityBytes: z.number().int().positive().optional(),
  /** Library orders: what was moved, imported, cleaned or erased (also when the order failed midway). */
  library: LibraryResult.optional(),
  /** Discover orders: what the PVE API listed. */
  inventory: PveInventory.optional(),
  /** Guest backups: each guest's outcome, failed ones too. */
  guests: z.array(GuestOutcome).max(10_000).optional(),
  /** Detect orders: the drives the agent now has, and which of them are new or gone since before. */
  hardware: z
    .object({
      drives: z.array(devicePath).max(256),
      added: z.array(devicePath).max(256),
      missing: z.array(devicePath).max(256),
    })
    .optional(),
  /** Backups: how well the drive streamed over the whole run (absent when nothing was written). */
  streaming: StreamingHealth.optional(),
});
export type OrderResult = z.input<typeof OrderResult>;

// ---------------------------------------------------------------------------------------------
// Scan orders: what a tape says about itself, posted so the hub can rebuild its catalog.

export const ScanTapeReport = z.object({
  /** From the drive or changer; null when neither reads barcodes (the label then names the tape). */
  barcode: barcode.nullable(),
  kind: z.enum(["labelled", "foreign", "blank"]),
  label: z
    .object({
      label: z.string().min(1).max(64),
      uuid: z.string().max(64),
      pool: z.string().max(128),
      timestamp: z.number().int().min(0),
      encryptionFingerprint: z.string().max(128),
      compression: z.string().max(16),
    })
    .nullable(),
  filesOnTape: z.number().int().min(0),
  /** Tape files with no TOC after them (plain tar, a Go TapeBackarr set, an interrupted set). */
  plainFiles: z.number().int().min(0),
  /** Sum of the member sizes tar listed in those files. */
  plainBytes: z.number().int().min(0),
});
export type ScanTapeReport = z.input<typeof ScanTapeReport>;

export const ScanTapeAnswer = z.object({ barcode, tapeId: z.number().int().positive() });
export type ScanTapeAnswer = z.output<typeof ScanTapeAnswer>;

/** One TOC's header (contracts/toc.ts) plus where it lies on the tape. */
export const ScanSetReport = z.object({
  tapeBarcode: barcode,
  setUuid: z.string().uuid(),
  job: z.object({ id: z.string().max(64), name }),
  startedAt: z.string().datetime({ offset: true }),
  finishedAt: z.string().datetime({ offset: true }),
  compression: Compression,
  encryption: z.object({
    algorithm: z.enum(["none", "aes-256-gcm"]),
    keyFingerprint: z.string().max(128).nullable(),
  }),
  blockSize: BlockSize,
  /** 0-based segment (the TOC's tape.sequence − 1). */
  sequence: z.number().int().min(0),
  fileNumber: z.number().int().min(0),
  streamOffset: z.number().int().min(0),
  dataBytes: z.number().int().min(0),
  continues: z.boolean(),
  /** The TOC's `complete`: false when the set was cut short on this tape. */
  complete: z.boolean(),
  files: z.number().int().min(0),
});
export type ScanSetReport = z.input<typeof ScanSetReport>;

export const ScanSetAnswer = z.object({
  /**
   * new-set: created now; new-segment: the set was known, this tape of it was not; rebuild: the
   * order rebuilds this set's catalog, send every entry; known: nothing to add.
   */
  status: z.enum(["new-set", "new-segment", "rebuild", "known"]),
  setId: z.number().int().positive(),
});
export type ScanSetAnswer = z.output<typeof ScanSetAnswer>;

/** Sent after the TOC's catalog chunks: the same report, and how many entries it held. */
export const ScanSegmentDone = ScanSetReport.extend({ entries: z.number().int().min(0) });
export type ScanSegmentDone = z.input<typeof ScanSegmentDone>;

/**
 * Catalog chunks of a scanned TOC are numbered from this base, so a re-scan resends the same seqs.
 * (A rebuild of a backup's catalog is matched row by row instead: see ingestCatalogChunk.)
 */
export const scanChunkSeq = (sequence: number, chunk: number) => sequence * 1_000_000 + chunk;

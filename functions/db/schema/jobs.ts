import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { StreamingHealth } from "../../../contracts/agent-protocol.ts";
import type { JobGuests } from "../../../contracts/proxmox.ts";
import { createdAt, timestamp, updatedAt } from "./columns.ts";
import { agents, drives } from "./fleet.ts";
import { pools, tapes } from "./media.ts";

export const SOURCE_KINDS = ["local", "nfs", "smb", "proxmox"] as const;

export const sources = sqliteTable(
  "sources",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    kind: text("kind", { enum: SOURCE_KINDS }).notNull(),
    /** The agent whose host sees these paths. */
    agentId: text("agent_id").references(() => agents.id, { onDelete: "set null" }),
    paths: text("paths", { mode: "json" }).$type<string[]>().notNull(),
    include: text("include", { mode: "json" }).$type<string[]>().notNull(),
    exclude: text("exclude", { mode: "json" }).$type<string[]>().notNull(),
    /** Kind-specific options (Proxmox node and guests, mount hints). No secrets. */
    options: text("options", { mode: "json" }).$type<Record<string, unknown>>(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("sources_name_uq").on(t.name)],
);

export const BACKUP_TYPES = ["full", "incremental", "differential"] as const;
export const COMPRESSIONS = ["none", "gzip", "zstd"] as const;
export const ENCRYPTIONS = ["none", "aes-256-gcm"] as const;
/** catalog: a backup of the hub's own catalog (a consistent snapshot) to the pool, docs/adr/0013. */
export const JOB_KINDS = ["backup", "verify", "catalog"] as const;

export const jobs = sqliteTable(
  "jobs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    kind: text("kind", { enum: JOB_KINDS }).notNull().default("backup"),
    sourceId: integer("source_id").references(() => sources.id, { onDelete: "restrict" }),
    poolId: integer("pool_id").references(() => pools.id, { onDelete: "restrict" }),
    backupType: text("backup_type", { enum: BACKUP_TYPES }).notNull().default("full"),
    compression: text("compression", { enum: COMPRESSIONS }).notNull().default("zstd"),
    encryption: text("encryption", { enum: ENCRYPTIONS }).notNull().default("none"),
    encryptionKeyId: integer("encryption_key_id"),
    /** Cron expression (croner syntax) or null for manual runs only. */
    schedule: text("schedule"),
    /** A scheduled run is a full when this (croner) fired since the job's last full: a weekly full. */
    fullSchedule: text("full_schedule"),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    /** A run that finds no file to back up fails unless this says an empty source is fine. */
    allowEmpty: integer("allow_empty", { mode: "boolean" }).notNull().default(false),
    /** A catalog job: also queued when a backup job's run has ended since its own last run began. */
    afterBackups: integer("after_backups", { mode: "boolean" }).notNull().default(false),
    /** A job over a Proxmox source: which guests and in which vzdump mode; null: as the source says. */
    guests: text("guests", { mode: "json" }).$type<JobGuests>(),
    /** Scheduled runs that fail retryably or are interrupted are run again this many times. */
    retries: integer("retries").notNull().default(2),
    retryDelayMinutes: integer("retry_delay_minutes").notNull().default(10),
    nextRunAt: timestamp("next_run_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("jobs_name_uq").on(t.name), index("jobs_next_run_idx").on(t.enabled, t.nextRunAt)],
);

export type PendingOrder = {
  tapeId: number;
  /** The order body without its drive, which the placement fills in. */
  body: Record<string, unknown>;
  hubOnly: Record<string, unknown>;
  /** The drive the operator named; the agent asks for the tape there. */
  driveId?: number;
  /** The agent the operator named (a restore at the site its tapes were moved to). */
  agentId?: string;
  /** The run's words once placed (which tapes it reads). */
  instruction?: string;
};

export const RUN_STATES = [
  "queued",
  "running",
  "waiting-for-tape",
  "paused",
  "completed",
  "completed-with-warnings",
  "failed",
  "cancelled",
  "interrupted",
] as const;
export type RunState = (typeof RUN_STATES)[number];

export const jobRuns = sqliteTable(
  "job_runs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    jobId: integer("job_id")
      .notNull()
      .references(() => jobs.id, { onDelete: "cascade" }),
    kind: text("kind", { enum: ["backup", "restore", "verify", "scan", "label"] }).notNull(),
    state: text("state", { enum: RUN_STATES }).notNull().default("queued"),
    backupType: text("backup_type", { enum: BACKUP_TYPES }),
    triggeredBy: text("triggered_by").notNull(),
    retryOf: integer("retry_of"),
    agentId: text("agent_id"),
    driveId: integer("drive_id").references(() => drives.id, { onDelete: "set null" }),
    currentTapeId: integer("current_tape_id").references(() => tapes.id, { onDelete: "set null" }),
    bytesDone: integer("bytes_done").notNull().default(0),
    bytesTotal: integer("bytes_total"),
    /** bytesTotal/filesTotal are the agent's estimate (until the result gives the real figures). */
    totalsEstimated: integer("totals_estimated", { mode: "boolean" }).notNull().default(false),
    filesDone: integer("files_done").notNull().default(0),
    filesTotal: integer("files_total"),
    currentPath: text("current_path"),
    rateBytesPerSec: integer("rate_bytes_per_sec"),
    etaSeconds: integer("eta_seconds"),
    /**
     * The run's throughput history as [seconds since start, bytes done] pairs, one per progress
     * report, thinned to at most MAX_STORED_SAMPLES (services/runs/throughput-samples.ts).
     */
    throughputSamples: text("throughput_samples", { mode: "json" }).$type<[number, number][]>(),
    /** Backups: how well the drive streamed (contracts StreamingHealth), from progress and the result. */
    streaming: text("streaming", { mode: "json" }).$type<StreamingHealth>(),
    warnings: integer("warnings").notNull().default(0),
    /** Highest progress report sequence applied; a late, older report is ignored. */
    progressSeq: integer("progress_seq").notNull().default(-1),
    /** What the operator asked the agent to do; travels back in the answer to progress. */
    control: text("control", { enum: ["continue", "pause", "cancel"] })
      .notNull()
      .default("continue"),
    setId: integer("set_id"),
    error: text("error"),
    /** Free-form words to the operator ("insert a tape of pool Weekly into drive 1"). */
    operatorMessage: text("operator_message"),
    queuedAt: timestamp("queued_at").notNull(),
    startedAt: timestamp("started_at"),
    finishedAt: timestamp("finished_at"),
    progressAt: timestamp("progress_at"),
    /** When the scheduler queues this failed run's automatic retry (null: none due). */
    retryAt: timestamp("retry_at"),
    /**
     * A restore or verify waiting for its tape: the order to send, with the tape it needs, once a
     * drive can reach that tape and no other run holds it (services/runs/dispatch-reads.ts).
     */
    pendingOrder: text("pending_order", { mode: "json" }).$type<PendingOrder>(),
  },
  (t) => [
    index("job_runs_job_idx").on(t.jobId, t.queuedAt),
    index("job_runs_state_idx").on(t.state),
    index("job_runs_finished_idx").on(t.finishedAt),
  ],
);

export const jobLogs = sqliteTable(
  "job_logs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    runId: integer("run_id")
      .notNull()
      .references(() => jobRuns.id, { onDelete: "cascade" }),
    at: timestamp("at").notNull(),
    level: text("level", { enum: ["debug", "info", "warn", "error"] }).notNull(),
    message: text("message").notNull(),
    path: text("path"),
  },
  (t) => [index("job_logs_run_idx").on(t.runId, t.id), index("job_logs_level_idx").on(t.level, t.at)],
);

export const WORK_ORDER_STATES = [
  "pending",
  "delivered",
  "acknowledged",
  "done",
  "failed",
  "expired",
  "cancelled",
] as const;

export const workOrders = sqliteTable(
  "work_orders",
  {
    /** Unique order id (the JWS `jti`); agents refuse one they have seen. */
    id: text("id").primaryKey(),
    agentId: text("agent_id")
      .notNull()
      .references(() => agents.id, { onDelete: "cascade" }),
    runId: integer("run_id").references(() => jobRuns.id, { onDelete: "set null" }),
    kind: text("kind").notNull(),
    state: text("state", { enum: WORK_ORDER_STATES }).notNull().default("pending"),
    /** The order body (without secrets; a data key travels only inside the signed JWE). */
    payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
    deliveredAt: timestamp("delivered_at"),
    finishedAt: timestamp("finished_at"),
    expiresAt: timestamp("expires_at").notNull(),
    result: text("result", { mode: "json" }).$type<Record<string, unknown>>(),
  },
  (t) => [
    index("work_orders_agent_state_idx").on(t.agentId, t.state, t.createdAt),
    index("work_orders_run_idx").on(t.runId),
  ],
);

/**
 * Reports of an order the hub has applied, by the agent's report number: a report the agent sends
 * again (it could not tell whether the first try arrived) is then a no-op.
 */
export const orderReportReceipts = sqliteTable(
  "order_report_receipts",
  {
    orderId: text("order_id")
      .notNull()
      .references(() => workOrders.id, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
    receivedAt: timestamp("received_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.orderId, t.seq] })],
);

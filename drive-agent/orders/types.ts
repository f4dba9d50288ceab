import type {
  BackupOrderBody,
  CatalogChunk,
  EjectOrderBody,
  LabelOrderBody,
  LibraryOrderBody,
  LogLines,
  OrderResult,
  ProgressAnswer,
  ProgressReport,
  RestoreFileResults,
  SegmentReport,
  TapeTarget,
} from "../../contracts/agent-protocol.ts";
import type { ProxmoxTools } from "../config.ts";
import type { ChangerInventory } from "../drives/changer/parse-mtx-status.ts";
import type { Drive } from "../drives/drive.ts";

/**
 * The seam between the agent runtime (hub client, order loop) and the order executors
 * (backup pipeline, label). Executors know nothing of HTTP: they report through this.
 * The runtime numbers progress reports, retries posts, and throttles nothing: executors
 * report progress at least every 2 s and at most a few times a second.
 */
export interface OrderReporter {
  /** Resolves with the operator's wish (continue / pause / cancel) from the hub's answer. */
  progress(report: Omit<ProgressReport, "seq">): Promise<ProgressAnswer["control"]>;
  /**
   * The tapes the hub's last answer to progress offered a run waiting for a tape (ProgressAnswer
   * `tapes`); empty when it offered none. Optional: a reporter without a hub offers nothing.
   */
  offeredTapes?(): readonly TapeTarget[];
  /** `seq` is the executor's own chunk counter from 0; a re-sent chunk is a no-op at the hub. */
  catalogChunk(chunk: CatalogChunk): Promise<void>;
  segment(segment: SegmentReport): Promise<void>;
  log(lines: LogLines["lines"]): Promise<void>;
  /** Per-file outcomes of a restore, in batches; queued and retried like log lines. */
  fileResults(batch: RestoreFileResults): Promise<void>;
}

/** Loads tapes for an executor that must change cartridges (spanning, labelling in a library). */
export interface TapeChanger {
  /** Loads the cartridge with this barcode into the order's drive (unloading what is there). */
  loadTape(barcode: string): Promise<void>;
  /** Barcodes the changer holds right now (slots and drives). */
  inventory(): Promise<string[]>;
  /**
   * Returns the drive's cartridge to the slot it came from (or the first empty one) and says
   * which slot; null when the drive was empty. Optional: without it an eject is the drive's own.
   */
  unloadTape?(): Promise<number | null>;
}

/** The changer robot as a library order sees it: moves into and out of the order's drive. */
export interface Robot {
  /** The order's drive in the changer (mtx data transfer element). */
  readonly driveIndex: number;
  inventory(): Promise<ChangerInventory>;
  /** Asks the changer to re-read its barcodes (mtx inventory); the vtl always knows them. */
  rescan(): Promise<ChangerInventory>;
  /** Slot → the order's drive; a cleaning cartridge cleans the drive as it loads. */
  load(slot: number): Promise<{ cleaning: { uses: number; maxUses: number; spent: boolean } | null }>;
  /** The order's drive → `slot` (or its home slot); says where it went. */
  unload(slot: number | null): Promise<number>;
  transfer(from: number, to: number): Promise<void>;
}

export interface ExecutorContext {
  drive: Drive;
  /** Null when the drive has no changer: the executor then asks the operator (waiting-for-tape). */
  changer: TapeChanger | null;
  reporter: OrderReporter;
  /** Aborted on the first SIGTERM or a hub "cancel": stop cleanly (file mark, TOC, report). */
  signal: AbortSignal;
  /** Writable scratch space of the agent (state dir), e.g. for spooling a large TOC. */
  workDir: string;
  log: (
    level: "debug" | "info" | "warn" | "error",
    message: string,
    fields?: Record<string, unknown>,
  ) => void;
  /** Guest orders: the node's tools and the order's PVE token secret, unsealed (never logged). */
  pve?: { tools: ProxmoxTools; tokenSecret: string | null };
}

export type BackupExecutor = (
  order: BackupOrderBody,
  ctx: ExecutorContext & { dataKey: Uint8Array | null },
) => Promise<OrderResult>;

export type LabelExecutor = (order: LabelOrderBody, ctx: ExecutorContext) => Promise<OrderResult>;

export type LibraryExecutor = (
  order: LibraryOrderBody,
  ctx: ExecutorContext & { robot: Robot | null },
) => Promise<OrderResult>;

export type EjectExecutor = (order: EjectOrderBody, ctx: ExecutorContext) => Promise<OrderResult>;

import { mkdir, realpath } from "node:fs/promises";
import type { OrderResult, RestoreFileResults, RestoreOrderBody } from "../../contracts/agent-protocol.ts";
import { DriveError } from "../errors.ts";
import { readTapeLabel } from "../tape/label-tape.ts";
import { seekToBlock } from "../tape/seek.ts";
import { readTocHead } from "../tape/set-toc.ts";
import { restoreSet } from "./restore/restore-set.ts";
import type { SegmentLayout, SegmentSource } from "./restore/set-reader.ts";
import type { FileOutcome } from "./restore/tar-extract.ts";
import type { ExecutorContext } from "./types.ts";

export type RestoreTuning = { progressIntervalMs: number; tapePollMs: number; resultBatch: number };
export type RestoreExecutor = (
  order: RestoreOrderBody,
  ctx: ExecutorContext & { dataKey: Uint8Array | null },
) => Promise<OrderResult>;

type Tick = { state: "running" | "waiting-for-tape"; message: string | null; tape: string | null };

/**
 * A restore work order: the hub names the set's tapes in order and the files with their offsets;
 * the agent seeks to each run of files, extracts and verifies them, and reports every file.
 */
export function createRestoreExecutor(tuning: Partial<RestoreTuning> = {}): RestoreExecutor {
  const settings = { progressIntervalMs: 1_000, tapePollMs: 5_000, resultBatch: 1_000, ...tuning };
  return (order, ctx) => runRestore(order, ctx, settings);
}

async function runRestore(
  order: RestoreOrderBody,
  ctx: ExecutorContext & { dataKey: Uint8Array | null },
  tuning: RestoreTuning,
): Promise<OrderResult> {
  const encrypted = order.set.encryption.algorithm !== "none";
  if (encrypted && !ctx.dataKey)
    return { state: "failed", error: "the set is encrypted and the order has no data key" };
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  ctx.signal.addEventListener("abort", onAbort);
  const tick: Tick = { state: "running", message: null, tape: null };
  const stats = { bytes: 0, files: 0, current: null as string | null };
  let batch: RestoreFileResults["files"] = [];
  const flushResults = async () => {
    if (batch.length === 0) return;
    const files = batch;
    batch = [];
    await ctx.reporter.fileResults({ files });
  };
  const report = async () => {
    const control = await ctx.reporter
      .progress({
        state: tick.state,
        bytesDone: stats.bytes,
        bytesTotal: null,
        filesDone: stats.files,
        filesTotal: order.files.length || null,
        currentPath: stats.current,
        rateBytesPerSec: null,
        etaSeconds: null,
        tapeBarcode: tick.tape,
        message: tick.message,
      })
      .catch(() => "continue" as const);
    if (control === "cancel") stop.abort();
  };
  let ticking: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    ticking = ticking.then(report);
  }, tuning.progressIntervalMs);
  try {
    await report();
    await mkdir(order.destination, { recursive: true });
    const destination = await realpath(order.destination);
    const source = new OrderSegmentSource(order, ctx, tick, tuning.tapePollMs, stop.signal, report);
    const failures: FileOutcome[] = [];
    const summary = await restoreSet({
      source,
      shape: {
        uuid: order.set.uuid,
        compression: order.set.compression,
        key: encrypted ? ctx.dataKey : null,
        blockSize: order.set.blockSize,
      },
      selection:
        order.files.length === 0
          ? "all"
          : order.files.map((f) => ({
              path: f.path,
              offset: f.offset,
              sha256: f.sha256,
              size: f.size,
              segment: f.segment,
            })),
      destination,
      overwrite: order.overwrite,
      owners: process.getuid?.() === 0,
      signal: stop.signal,
      onBytes: (bytes) => {
        stats.bytes = bytes;
      },
      onFile: async (file) => {
        stats.files++;
        stats.current = file.path;
        if (file.outcome === "failed") failures.push(file);
        batch.push({
          path: file.path,
          outcome: file.outcome === "verified" ? "restored" : file.outcome,
          writtenTo: file.writtenTo,
          error: file.error?.slice(0, 2000) ?? null,
        });
        if (batch.length >= tuning.resultBatch) await flushResults();
      },
    });
    clearInterval(timer);
    await ticking;
    await report();
    await flushResults();
    const files = summary.restored + summary.skipped + summary.failed;
    const result = { summary: { files, sourceBytes: summary.plainBytes, warnings: summary.failed } };
    if (stop.signal.aborted)
      return { state: "cancelled", error: "cancelled before every file was restored", ...result };
    if (summary.failed === 0 && summary.errors.length === 0) return { state: "completed", ...result };
    const named = failures.slice(0, 10).map((f) => `${f.path}: ${f.error}`);
    const error = [...summary.errors, ...named].join("; ").slice(0, 4000);
    return {
      state: summary.restored + summary.skipped > 0 ? "completed-with-warnings" : "failed",
      error,
      ...result,
    };
  } finally {
    clearInterval(timer);
    await ticking;
    await flushResults().catch(() => undefined);
    ctx.signal.removeEventListener("abort", onAbort);
  }
}

/** The set's tapes as the order lists them: loaded by the changer, else asked of the operator. */
class OrderSegmentSource implements SegmentSource {
  private readonly layouts = new Map<number, SegmentLayout>();
  private loaded: number | null = null;

  constructor(
    private readonly order: RestoreOrderBody,
    private readonly ctx: ExecutorContext,
    private readonly tick: Tick,
    private readonly pollMs: number,
    private readonly signal: AbortSignal,
    private readonly report: () => Promise<void>,
  ) {}

  get drive() {
    return this.ctx.drive;
  }

  async segment(seq: number): Promise<SegmentLayout> {
    const tape = this.order.tapes.find((t) => t.sequence === seq);
    if (!tape) throw new DriveError("NOT_FOUND", `the order names no tape for part ${seq + 1} of the set`);
    if (this.loaded !== seq) await this.insert(tape);
    this.loaded = seq;
    this.tick.tape = tape.barcode;
    const known = this.layouts.get(seq);
    if (known) return known;
    const { blockSize } = this.order.set;
    const last = Math.max(...this.order.tapes.map((t) => t.sequence));
    let chunks: SegmentLayout["chunks"] = [];
    if (this.order.set.compression !== "none" || this.order.set.encryption.algorithm !== "none") {
      // The chunk index sits at the head of the TOC that follows the data file.
      await seekToBlock(this.drive, tape.fileNumber + 1, 0, blockSize);
      const head = await readTocHead(this.drive, blockSize);
      if (head.setId !== this.order.set.uuid)
        throw new DriveError(
          "NOT_FOUND",
          `tape ${tape.barcode} file ${tape.fileNumber + 1} is the TOC of set ${head.setId}, not ${this.order.set.uuid}`,
        );
      chunks = head.stream.chunks;
    }
    const layout = {
      seq,
      dataFile: tape.fileNumber,
      streamOffset: tape.streamOffset,
      chunks,
      continues: seq < last,
    };
    this.layouts.set(seq, layout);
    return layout;
  }

  private async insert(tape: RestoreOrderBody["tapes"][number]): Promise<void> {
    const matches = async () => {
      const identity = await readTapeLabel(this.drive).catch(() => null);
      return (
        identity?.kind === "labelled" &&
        identity.label.label === tape.label &&
        (tape.uuid === "" || identity.label.uuid === tape.uuid)
      );
    };
    if (this.ctx.changer) {
      await this.ctx.changer.loadTape(tape.barcode);
      if (await matches()) return;
      throw new DriveError(
        "NOT_FOUND",
        `cartridge ${tape.barcode} is not labelled "${tape.label}" as the catalog says`,
      );
    }
    if ((await this.drive.status().catch(() => null))?.flags.online && (await matches())) return;
    this.tick.state = "waiting-for-tape";
    this.tick.message = `Insert tape ${tape.barcode} ("${tape.label}") into ${this.drive.name} to continue the restore`;
    await this.report();
    try {
      for (;;) {
        if (this.signal.aborted)
          throw new DriveError("NO_CARTRIDGE", `stopped while waiting for tape ${tape.barcode}`);
        await new Promise((resolve) => setTimeout(resolve, this.pollMs));
        if ((await this.drive.status().catch(() => null))?.flags.online && (await matches())) return;
      }
    } finally {
      this.tick.state = "running";
      this.tick.message = null;
    }
  }
}

export const executeRestore: RestoreExecutor = createRestoreExecutor();

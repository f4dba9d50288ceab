import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { BackupOrderBody, OrderResult } from "../../../contracts/agent-protocol.ts";
import { minStreamingBytesPerSec, streamingVerdict } from "../../../contracts/lto-speeds.ts";
import type { Drive } from "../../drives/drive.ts";
import { isDriveError } from "../../errors.ts";
import { EntrySpool } from "../../pipeline/entry-spool.ts";
import { ManifestWriter, writeUnread } from "../../pipeline/manifest.ts";
import { SetCatalog } from "../../pipeline/set-catalog.ts";
import { SetEncoder } from "../../pipeline/set-encoder.ts";
import { describeStages } from "../../pipeline/stage-clock.ts";
import { StreamingMeter } from "../../pipeline/streaming-meter.ts";
import type { TarHeader } from "../../pipeline/tar-framer.ts";
import { backupSummaryLine } from "../summary-line.ts";
import type { ExecutorContext } from "../types.ts";
import { type BaseManifest, baseManifestOf, recordDeletions } from "./base-manifest.ts";
import { GuestSource } from "./guest-source.ts";
import { RunControl, StopRequested } from "./run-control.ts";
import { emptySourceWords, sourceProblem } from "./source-check.ts";
import { SourceFigures } from "./source-figures.ts";
import { type SetStreamResult, streamSet } from "./stream-set.ts";
import { checkTape, loadFirstTape } from "./tape-check.ts";
import { nextTape } from "./tape-rotation.ts";
import { TapeSegments } from "./tape-segments.ts";
import type { BackupTuning } from "./tuning.ts";

type Ctx = ExecutorContext & { dataKey: Uint8Array | null };

/** One backup order from first label check to result; see docs/tape-format.md for what it writes. */
export async function runBackup(
  order: BackupOrderBody,
  ctx: Ctx,
  tuning: BackupTuning,
): Promise<OrderResult> {
  const encrypted = order.encryption.algorithm === "aes-256-gcm";
  if (encrypted && ctx.dataKey?.length !== 32)
    return { state: "failed", error: "the order asks for encryption but carries no 32-byte data key" };
  const startedAt = new Date().toISOString();
  const scratch = join(ctx.workDir, "sets", order.set.uuid);
  const manifests = join(ctx.workDir, "manifests");
  await mkdir(scratch, { recursive: true });
  await mkdir(manifests, { recursive: true });
  const started = performance.now();
  const base = await baseManifestOf(order, manifests);
  return new BackupRun({ order, ctx, tuning, encrypted, startedAt, started, scratch, manifests, base }).run();
}

type Setting = {
  order: BackupOrderBody;
  ctx: Ctx;
  tuning: BackupTuning;
  encrypted: boolean;
  startedAt: string;
  /** performance.now() at the start, for the summary line's duration. */
  started: number;
  /** This set's scratch directory (spools), removed at the end. */
  scratch: string;
  /** The agent's directory of set manifests (kept: the next incremental's base). */
  manifests: string;
  base: BaseManifest;
};

/**
 * A backup's state, each part in one field: the source figures the progress reports show, the
 * run control (stop requests, logs, warnings), the spool of parsed members waiting for the drive,
 * the set's catalog, and the tape segments (the open one and the tapes used). It runs through
 * checking → streaming (changing tape at each end of medium) → closing → result, or failing.
 */
class BackupRun {
  private readonly figures: SourceFigures;
  private readonly control: RunControl;
  private readonly spool: EntrySpool;
  private readonly catalog: SetCatalog;
  private readonly segments: TapeSegments;
  /** The tar parser once the stream runs: where it is decides which chunks stay known. */
  private parser: { openOffset: number; openMember: TarHeader | null } | null = null;
  /** A guest backup's guests (null for paths): their vzdump streams are the set's tar stream. */
  private guests: GuestSource | null = null;
  /** The drive's waits on its source, from the stream's first write (null before the stream). */
  private meter: StreamingMeter | null = null;
  private readonly onAbort = () => this.control.requestStop("interrupted");

  constructor(private readonly setting: Setting) {
    const { order, ctx, tuning, encrypted, scratch } = setting;
    this.figures = new SourceFigures(order);
    this.control = new RunControl(
      ctx.reporter,
      () => ({ ...this.figures.snapshot(), tapeBarcode: this.segments.barcode, ...this.streaming() }),
      tuning.progressIntervalMs,
      ctx.log,
    );
    this.spool = new EntrySpool(join(scratch, "entries"), tuning.plainChunkBytes);
    this.catalog = new SetCatalog({
      spool: this.spool,
      setUuid: order.set.uuid,
      passthrough: order.compression === "none" && !encrypted,
      blockSize: order.blockSize,
      workDir: scratch,
      chunkEntries: tuning.catalogChunkEntries,
      send: (chunk) => ctx.reporter.catalogChunk(chunk),
      openOffset: () => this.parser?.openOffset ?? 0,
      openMember: () => this.parser?.openMember ?? null,
      chunkBytes: tuning.plainChunkBytes,
    });
    this.segments = new TapeSegments({
      order,
      ctx,
      catalog: this.catalog,
      startedAt: setting.startedAt,
      encrypted,
      plainChunkBytes: tuning.plainChunkBytes,
    });
  }

  async run(): Promise<OrderResult> {
    const { signal } = this.setting.ctx;
    signal.addEventListener("abort", this.onAbort, { once: true });
    if (signal.aborted) this.onAbort();
    try {
      const refused = await this.check();
      if (refused) return refused;
      const stream = await this.stream();
      return await this.close(stream);
    } catch (error) {
      return await this.fail(error);
    } finally {
      await this.cleanUp();
    }
  }

  /** Before the tape is touched: a missing, unreadable or empty source writes nothing. */
  private async check(): Promise<OrderResult | null> {
    const { order, ctx, base } = this.setting;
    const { control } = this;
    if (order.guests) {
      const opened = await GuestSource.open(order.guests, ctx.pve, control);
      if ("error" in opened) {
        control.addLog("error", opened.error, null);
        return { state: "failed", error: opened.error, retryable: false };
      }
      this.guests = opened;
    }
    const problem = order.guests
      ? null
      : await sourceProblem(order, (message, path) => control.addLog("warn", message, path));
    if (problem) {
      for (const line of problem.lines) control.addLog("error", line.message, line.path);
      return { state: "failed", error: problem.error, retryable: false };
    }
    await loadFirstTape(ctx.drive, ctx.changer, order.tape.barcode);
    const check = await checkTape(ctx.drive, order.tape);
    if (!check.ok) return { state: "failed", error: check.error, retryable: false };
    if (check.warning) control.addLog("warn", check.warning, null);
    if (base.promoted) control.addLog("warn", base.promoted, null);
    await this.segments.open(order.tape, check.filesOnTape);
    if (this.guests) {
      const n = this.guests.guests.length;
      this.figures.walkDone({ files: n * 3, bytes: this.guests.estimatedBytes, selected: n });
    }
    await control.tick();
    control.start();
    return null;
  }

  /** The set's stream onto tape, up to the last byte the drive has committed. */
  private async stream(): Promise<SetStreamResult> {
    const { order, ctx, tuning, encrypted, base, manifests } = this.setting;
    const { control, figures, catalog, segments } = this;
    const manifestPath = join(manifests, `${order.set.uuid}.manifest`);
    const manifest = await ManifestWriter.create(manifestPath);
    const unread = new Set<string>();
    const guestStop = new AbortController();
    control.onStop(() => guestStop.abort());
    const producer = this.guests?.stream({ blockSize: order.blockSize, signal: guestStop.signal, control });
    this.meter = new StreamingMeter(await streamingFloor(ctx.drive));
    const stream = await streamSet({
      meter: this.meter,
      ...(producer ? { producer } : {}),
      order,
      key: ctx.dataKey,
      control,
      tuning,
      manifest,
      baseManifest: base.path,
      onUnread: (name) => unread.add(name),
      onMember: (member) => {
        this.spool.add(member);
        figures.member(member);
      },
      onBytes: () => undefined,
      onParser: (parser) => {
        this.parser = parser;
        figures.follow(parser);
      },
      onTotals: (t) => figures.walkDone(t),
      scratch: this.setting.scratch,
      encoder: (sink, lease) =>
        new SetEncoder({
          lease,
          compression: order.compression,
          key: encrypted ? ctx.dataKey : null,
          setUuid: order.set.uuid,
          chunkBytes: tuning.plainChunkBytes,
          sink,
          onChunk: (placement) => catalog.onPlacement(placement),
          ...(tuning.onEncodeWorkers ? { onWorkers: tuning.onEncodeWorkers } : {}),
        }),
      write: async (data) => {
        const { drive } = ctx;
        if (!drive.writeQueued) {
          const outcome = await drive.write(data);
          segments.written(outcome);
          return outcome;
        }
        const placed = await drive.writeQueued(data);
        segments.written(placed.outcome);
        return placed;
      },
      maxTransferBytes: () => ctx.drive.maxTransferBytes,
      onCommit: (bytes) => catalog.commit(bytes),
      buffer: tuning.buffer ?? (drivesInProcess(ctx.drive) ? "memory" : "mbuffer"),
      onEndOfMedium: () => this.changeTape(),
    });
    await manifest.close();
    await writeUnread(manifestPath, unread);
    this.spool.flush();
    await catalog.commit(stream.streamBytes);
    // Which stage held the stream back, for the operator and the bench (docs/adr/0031).
    this.control.addLog("info", describeStages(stream.stages), null);
    return stream;
  }

  /** End of medium: the full tape's segment is closed and the set continues on the next tape. */
  private async changeTape(): Promise<void> {
    const { order, ctx, tuning } = this.setting;
    const { control, segments } = this;
    const full = segments.current?.target.barcode;
    await segments.close(true, true);
    control.addLog("info", `tape ${full} is full; the set continues on the next tape`, null);
    const next = await nextTape(order, segments.used, ctx, control, tuning.tapePollMs);
    await segments.open(next.target, next.filesOnTape);
    control.addLog("info", `continuing on tape ${next.target.barcode}`, null);
  }

  /** The stream is on tape: deletion markers, the last segment's TOC, the catalog, the result. */
  private async close(stream: SetStreamResult): Promise<OrderResult> {
    const { order, base, manifests } = this.setting;
    const { control, figures, catalog } = this;
    // The source emptied between the check and the walk: still nothing backed up.
    if (control.stopReason === null && figures.selected === 0 && !order.allowEmpty)
      throw new Error(emptySourceWords(order).replace("nothing was written", "the set holds nothing"));
    figures.counted();

    if (control.stopReason === null && base.path) await recordDeletions(order, base.path, manifests, catalog);
    await this.segments.close(control.stopReason === null, false);
    await catalog.flush();
    await control.stop();
    const summary = {
      files: catalog.filesResolved,
      sourceBytes: figures.bytes,
      tapeBytes: stream.streamBytes,
      warnings: control.warnings,
      catalogChunks: catalog.chunksSent,
    };
    const tallies = catalog.tallies();
    const writtenAs = base.promoted ? { writtenAs: "full" as const } : {};
    const guests = { ...(this.guests ? { guests: this.guests.outcomes } : {}), ...this.streaming() };
    if (control.stopReason)
      return { state: control.stopReason, summary, catalog: tallies, ...writtenAs, ...guests };
    this.logStreaming();
    control.addLog(
      "info",
      backupSummaryLine({
        ...summary,
        tapes: [...this.segments.used],
        ms: performance.now() - this.setting.started,
      }),
      null,
    );
    await control.flushLogs();
    // One guest failing does not fail the others; every guest failing fails the run.
    const failedGuests = this.guests?.failureWords() ?? null;
    const allFailed = this.guests !== null && this.guests.failed.length === this.guests.outcomes.length;
    return {
      state: allFailed ? "failed" : control.warnings > 0 ? "completed-with-warnings" : "completed",
      ...(failedGuests ? { error: failedGuests } : {}),
      summary,
      catalog: tallies,
      ...writtenAs,
      ...guests,
    };
  }

  /** A stop request or an error: what reached the tape still gets its TOC and its catalog. */
  private async fail(error: unknown): Promise<OrderResult> {
    const { ctx } = this.setting;
    const { control, figures, catalog } = this;
    const stopped = error instanceof StopRequested ? error.reason : null;
    if (!stopped) {
      control.addLog("error", String((error as Error).message ?? error), null);
      ctx.log("error", "backup failed", { error: String(error) });
    }
    // Best effort: a TOC of what reached the tape, so the set's files stay findable.
    await this.segments.close(false, false).catch((e: unknown) => {
      ctx.log("warn", "could not close the segment", { error: String(e) });
      // The run's log says it: without its TOC the tape's part of this set is found by a scan.
      control.addLog(
        "error",
        `the TOC of this set's last tape could not be written (${String(e)}); what reached the tape is found by scanning it`,
        null,
      );
    });
    await catalog.flush().catch(() => undefined);
    await control.stop();
    // What did reach the catalog is reconciled too: the hub then knows what a rebuild would add.
    const tallies = catalog.tallies();
    const guests = { ...(this.guests ? { guests: this.guests.outcomes } : {}), ...this.streaming() };
    if (stopped)
      return {
        state: stopped,
        summary: { warnings: control.warnings, files: figures.files, sourceBytes: figures.bytes },
        catalog: tallies,
        ...guests,
      };
    return {
      ...guests,
      state: "failed",
      error: String((error as Error).message ?? error).slice(0, 4000),
      retryable: isDriveError(error) && error.recovery === "retry",
      catalog: tallies,
    };
  }

  /** The streaming figures for a report: absent before the first write. */
  private streaming() {
    const health = this.meter?.snapshot() ?? null;
    return health ? { streaming: health } : {};
  }

  /**
   * A drive that shoe-shined, or stopped for a bursty source, says so in the run's log with what
   * would help. Info, not a warning: the set is whole, only the drive and the run's speed suffer.
   */
  private logStreaming(): void {
    const verdict = streamingVerdict(this.meter?.snapshot());
    if (!verdict || verdict.advice.length === 0) return;
    this.control.addLog("info", `${verdict.words}; what would help: ${verdict.advice.join("; ")}`, null);
  }

  private async cleanUp(): Promise<void> {
    this.setting.ctx.signal.removeEventListener("abort", this.onAbort);
    await this.control.stop();
    this.spool.close();
    for (const segment of this.catalog.segments) {
      segment.toc.close();
      segment.chunks.close();
    }
    await rm(this.setting.scratch, { recursive: true, force: true });
  }
}

/** The drive's own floor, or its loaded generation's (contracts/lto-speeds.ts). */
async function streamingFloor(drive: Drive): Promise<number | null> {
  if (drive.minStreamingBytesPerSec !== undefined) return drive.minStreamingBytesPerSec;
  const status = await drive.status().catch(() => null);
  return minStreamingBytesPerSec(status?.generation ?? null);
}

/** A drive whose device is code in this process (the vtl): nothing to keep streaming. */
function drivesInProcess(drive: object): boolean {
  return (drive as { inProcess?: unknown }).inProcess === true;
}

import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { BackupOrderBody, OrderResult, TapeTarget } from "../../../contracts/agent-protocol.ts";
import type { CatalogEntryType } from "../../../contracts/catalog-record.ts";
import { TOC_MAGIC, TOC_VERSION } from "../../../contracts/toc.ts";
import { isDriveError } from "../../errors.ts";
import { EntrySpool } from "../../pipeline/entry-spool.ts";
import { findDeletions, ManifestWriter, manifestUsable, writeUnread } from "../../pipeline/manifest.ts";
import { SetCatalog } from "../../pipeline/set-catalog.ts";
import { SetEncoder } from "../../pipeline/set-encoder.ts";
import type { TarHeader } from "../../pipeline/tar-framer.ts";
import { writeSegmentToc } from "../../pipeline/toc-writer.ts";
import { backupSummaryLine } from "../summary-line.ts";
import type { ExecutorContext } from "../types.ts";
import { RunControl, StopRequested } from "./run-control.ts";
import { emptySourceWords, sourceProblem } from "./source-check.ts";
import { SourceFigures } from "./source-figures.ts";
import { type SetStreamResult, streamSet } from "./stream-set.ts";
import { checkTape, loadFirstTape, positionForWrite } from "./tape-check.ts";
import { nextTape } from "./tape-rotation.ts";

export type BackupTuning = {
  progressIntervalMs: number;
  tapePollMs: number;
  mbufferBytes: number;
  /** The in-process buffer that replaces mbuffer in front of a drive that is Node code (the vtl). */
  memoryBufferBytes: number;
  /** Test seam: force a real mbuffer (or the in-process buffer) whatever the drive. */
  buffer?: "mbuffer" | "memory";
  catalogChunkEntries: number;
  plainChunkBytes: number;
  /** Test seam: sees each source path as it is handed to tar (e.g. to make it vanish first). */
  onSourceListed?: (absolute: string) => void;
};

type Ctx = ExecutorContext & { dataKey: Uint8Array | null };
type Tape = { target: TapeTarget; dataFile: number; bytes: number; blocks: number };

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
  const figures = new SourceFigures(order, base.path);
  let tape: Tape | null = null;
  const control = new RunControl(
    ctx.reporter,
    () => ({ ...figures.snapshot(), tapeBarcode: tape?.target.barcode ?? null }),
    tuning.progressIntervalMs,
    ctx.log,
  );
  const onAbort = () => control.requestStop("interrupted");
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  if (ctx.signal.aborted) onAbort();

  const spool = new EntrySpool(join(scratch, "entries"), tuning.plainChunkBytes);
  let openOffset = () => 0;
  let openMember: () => TarHeader | null = () => null;
  const catalog = new SetCatalog({
    spool,
    setUuid: order.set.uuid,
    passthrough: order.compression === "none" && !encrypted,
    blockSize: order.blockSize,
    workDir: scratch,
    chunkEntries: tuning.catalogChunkEntries,
    send: (chunk) => ctx.reporter.catalogChunk(chunk),
    openOffset: () => openOffset(),
    openMember: () => openMember(),
    chunkBytes: tuning.plainChunkBytes,
  });
  const used = new Set<string>();
  let stream: SetStreamResult | null = null;

  async function closeSegment(complete: boolean, tapeFull: boolean): Promise<void> {
    if (!tape) return;
    const current = tape;
    tape = null;
    await ctx.drive.writeFileMarks(1);
    const segment = catalog.closeSegment();
    const toc = await writeSegmentToc(
      ctx.drive,
      {
        magic: TOC_MAGIC,
        version: TOC_VERSION,
        setId: order.set.uuid,
        job: { id: String(order.job.id), name: order.job.name },
        startedAt,
        finishedAt: new Date().toISOString(),
        tape: {
          label: current.target.label,
          uuid: current.target.uuid,
          sequence: segment.sequence + 1,
          dataFile: current.dataFile,
          continues: tapeFull,
        },
        compression: order.compression,
        encryption: {
          algorithm: encrypted ? "aes-256-gcm-chunked" : "none",
          keyFingerprint: order.encryption.keyFingerprint,
        },
        blockSize: order.blockSize,
        dataBytes: current.bytes,
      },
      {
        complete,
        stream: {
          offset: segment.streamStart,
          plainChunkBytes: catalog.passthroughSet ? null : tuning.plainChunkBytes,
        },
      },
      segment,
      order.blockSize,
    );
    await ctx.drive.writeFileMarks(1);
    ctx.log("info", "segment closed", {
      tape: current.target.barcode,
      tocBytes: toc.bytes,
      tapeFull,
      complete,
    });
    await ctx.reporter.segment({
      setUuid: order.set.uuid,
      sequence: segment.sequence,
      tapeBarcode: current.target.barcode,
      fileNumber: current.dataFile,
      streamOffset: segment.streamStart,
      bytes: current.bytes,
      blocks: current.blocks,
      complete,
      nextFile: current.dataFile + 2,
      tapeFull,
    });
  }

  async function openSegment(target: TapeTarget, filesOnTape: number): Promise<void> {
    const dataFile = await positionForWrite(ctx.drive, filesOnTape, order.blockSize);
    used.add(target.barcode);
    catalog.startSegment(catalog.segments.length);
    tape = { target, dataFile, bytes: 0, blocks: 0 };
  }

  try {
    // Before the tape is touched: a missing, unreadable or empty source writes nothing.
    const problem = await sourceProblem(order, (message, path) => control.addLog("warn", message, path));
    if (problem) {
      for (const line of problem.lines) control.addLog("error", line.message, line.path);
      return { state: "failed", error: problem.error, retryable: false };
    }
    await loadFirstTape(ctx.drive, ctx.changer, order.tape.barcode);
    const check = await checkTape(ctx.drive, order.tape);
    if (!check.ok) return { state: "failed", error: check.error, retryable: false };
    if (check.warning) control.addLog("warn", check.warning, null);
    if (base.promoted) control.addLog("warn", base.promoted, null);
    await openSegment(order.tape, check.filesOnTape);
    figures.startPrewalk();
    await control.tick();
    control.start();

    const manifestPath = join(manifests, `${order.set.uuid}.manifest`);
    const manifest = await ManifestWriter.create(manifestPath);
    const unread = new Set<string>();
    stream = await streamSet({
      order,
      key: ctx.dataKey,
      control,
      tuning,
      manifest,
      baseManifest: base.path,
      onUnread: (name) => unread.add(name),
      onMember: (member) => {
        spool.add(member);
        figures.member(member);
      },
      onBytes: () => undefined,
      onParser: (parser) => {
        openOffset = () => parser.openOffset;
        openMember = () => parser.openMember;
        figures.follow(parser);
      },
      onTotals: (t) => figures.walkDone(t),
      encoder: (sink) =>
        new SetEncoder({
          compression: order.compression,
          key: encrypted ? ctx.dataKey : null,
          setUuid: order.set.uuid,
          chunkBytes: tuning.plainChunkBytes,
          sink,
          onChunk: (placement) => catalog.onPlacement(placement),
        }),
      write: async (data) => {
        const outcome = await ctx.drive.write(data);
        if (outcome.type === "written" && tape) {
          tape.bytes += outcome.bytes;
          tape.blocks += outcome.blocks;
        }
        return outcome;
      },
      maxTransferBytes: () => ctx.drive.maxTransferBytes,
      onCommit: (bytes) => catalog.commit(bytes),
      buffer: tuning.buffer ?? (drivesInProcess(ctx.drive) ? "memory" : "mbuffer"),
      onEndOfMedium: async () => {
        const full = tape?.target.barcode;
        await closeSegment(true, true);
        control.addLog("info", `tape ${full} is full; the set continues on the next tape`, null);
        const next = await nextTape(order, used, ctx, control, tuning.tapePollMs);
        await openSegment(next.target, next.filesOnTape);
        control.addLog("info", `continuing on tape ${next.target.barcode}`, null);
      },
    });
    await manifest.close();
    await writeUnread(manifestPath, unread);
    spool.flush();
    await catalog.commit(stream.streamBytes);
    // The source emptied between the check and the walk: still nothing backed up.
    if (control.stopReason === null && figures.selected === 0 && !order.allowEmpty)
      throw new Error(emptySourceWords(order).replace("nothing was written", "the set holds nothing"));
    figures.counted();

    if (control.stopReason === null && base.path) await recordDeletions(order, base.path, manifests, catalog);
    await closeSegment(control.stopReason === null, false);
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
    if (control.stopReason) return { state: control.stopReason, summary, catalog: tallies, ...writtenAs };
    control.addLog(
      "info",
      backupSummaryLine({ ...summary, tapes: [...used], ms: performance.now() - started }),
      null,
    );
    await control.flushLogs();
    return {
      state: control.warnings > 0 ? "completed-with-warnings" : "completed",
      summary,
      catalog: tallies,
      ...writtenAs,
    };
  } catch (error) {
    const stopped = error instanceof StopRequested ? error.reason : null;
    if (!stopped) {
      control.addLog("error", String((error as Error).message ?? error), null);
      ctx.log("error", "backup failed", { error: String(error) });
    }
    // Best effort: a TOC of what reached the tape, so the set's files stay findable.
    await closeSegment(false, false).catch((e: unknown) =>
      ctx.log("warn", "could not close the segment", { error: String(e) }),
    );
    await catalog.flush().catch(() => undefined);
    await control.stop();
    // What did reach the catalog is reconciled too: the hub then knows what a rebuild would add.
    const tallies = catalog.tallies();
    if (stopped)
      return {
        state: stopped,
        summary: { warnings: control.warnings, files: figures.files, sourceBytes: figures.bytes },
        catalog: tallies,
      };
    return {
      state: "failed",
      error: String((error as Error).message ?? error).slice(0, 4000),
      retryable: isDriveError(error) && error.recovery === "retry",
      catalog: tallies,
    };
  } finally {
    ctx.signal.removeEventListener("abort", onAbort);
    await figures.stopPrewalk();
    await control.stop();
    spool.close();
    for (const segment of catalog.segments) {
      segment.toc.close();
      segment.chunks.close();
    }
    await rm(scratch, { recursive: true, force: true });
  }
}

/** A drive whose device is code in this process (the vtl): nothing to keep streaming. */
function drivesInProcess(drive: object): boolean {
  return (drive as { inProcess?: unknown }).inProcess === true;
}

/**
 * The manifest an incremental or differential compares its walk with: the base set's, when this
 * agent has one with each path's state. Without it the set is written as a full, and says why:
 * a narrower set (times only) would miss renamed and moved-in files.
 */
async function baseManifestOf(
  order: BackupOrderBody,
  manifests: string,
): Promise<{ path: string | null; promoted: string | null }> {
  const baseUuid = order.set.baseSetUuid;
  if (order.set.backupType === "full") return { path: null, promoted: null };
  if (!baseUuid)
    return {
      path: null,
      promoted: `this ${order.set.backupType} is written as a full backup: the order names no base set to compare with`,
    };
  const path = join(manifests, `${baseUuid}.manifest`);
  const usable = await manifestUsable(path);
  if (usable === "usable") return { path, promoted: null };
  const why =
    usable === "missing"
      ? "its file list is not on this agent (another agent wrote it, or the agent's state directory was reset)"
      : "its file list was written by an older agent and lacks each file's size, times and inode";
  return {
    path: null,
    promoted: `this ${order.set.backupType} is written as a full backup: it cannot be compared with base set ${baseUuid}, because ${why}`,
  };
}

async function recordDeletions(
  order: BackupOrderBody,
  base: string,
  manifests: string,
  catalog: SetCatalog,
): Promise<void> {
  const segment = catalog.segments.length - 1;
  const kinds: Record<string, CatalogEntryType> = { d: "dir", f: "file", l: "symlink", o: "other" };
  await findDeletions(base, join(manifests, `${order.set.uuid}.manifest`), (name, kind) => {
    catalog.addEntries([
      {
        path: name,
        type: kinds[kind] ?? "other",
        size: 0,
        mode: 0,
        uid: 0,
        gid: 0,
        mtime: 0,
        linkTarget: null,
        sha256: null,
        offset: 0,
        segment,
        endSegment: segment,
        deleted: true,
      },
    ]);
  });
}

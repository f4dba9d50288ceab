import { lstat, mkdir, realpath, utimes } from "node:fs/promises";
import { join } from "node:path";
import type { OrderResult, RestoreFileResults, RestoreOrderBody } from "../../contracts/agent-protocol.ts";
import { bytesInWords } from "../../contracts/units.ts";
import { runGuestRestore } from "./restore/guest-restore.ts";
import { OrderSegmentSource } from "./restore/order-segment-source.ts";
import { missingKey, ReadProgress, shapeOf } from "./restore/read-progress.ts";
import { restoreSet } from "./restore/restore-set.ts";
import type { FileOutcome } from "./restore/tar-extract.ts";
import { readSummaryLine } from "./summary-line.ts";
import type { ExecutorContext } from "./types.ts";

export type RestoreTuning = { progressIntervalMs: number; tapePollMs: number; resultBatch: number };
export type RestoreExecutor = (
  order: RestoreOrderBody,
  ctx: ExecutorContext & { dataKey: Uint8Array | null },
) => Promise<OrderResult>;

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
  if (order.guest) return runGuestRestore(order, order.guest, ctx, tuning);
  // A point-in-time restore reads each set of the chain in turn; each path comes from one set.
  const parts = [{ set: order.set, files: order.files, tapes: order.tapes }, ...(order.more ?? [])];
  const refused = parts.map((part) => missingKey(part, ctx.dataKey)).find((r) => r !== null);
  if (refused) return { state: "failed", error: refused };
  // Files are what gets written: the directories listed are made, never counted as files.
  const dirs = new Set(parts.flatMap((p) => p.files.filter((f) => f.type === "dir").map((f) => f.path)));
  const listed = parts.reduce((sum, p) => sum + p.files.length, 0) - dirs.size;
  const expectedBytes = parts
    .flatMap((p) => p.files)
    .reduce((sum, f) => sum + (f.type === "file" ? f.size : 0), 0);
  const progress = new ReadProgress(
    ctx,
    () => listed || null,
    () => (listed > 0 ? expectedBytes : null),
  );
  const { stop, tick, stats, report } = progress;
  const started = performance.now();
  // Bytes written to the destination: whole files placed, and the one being written.
  let restoredBytes = 0;
  let restoredFiles = 0;
  let batch: RestoreFileResults["files"] = [];
  const flushResults = async () => {
    if (batch.length === 0) return;
    const files = batch;
    batch = [];
    await ctx.reporter.fileResults({ files });
  };
  try {
    await progress.start(tuning.progressIntervalMs);
    await mkdir(order.destination, { recursive: true });
    const destination = await realpath(order.destination);
    const failures: FileOutcome[] = [];
    const summary = { restored: 0, skipped: 0, failed: 0, errors: [] as string[] };
    const dirTimes = new DirTimes(destination);
    for (const [index, part] of parts.entries()) {
      if (stop.signal.aborted) break;
      const source = new OrderSegmentSource(part, ctx, tick, {
        pollMs: tuning.tapePollMs,
        signal: stop.signal,
        report,
        purpose: "restore",
        fullToc: false,
      });
      const done = await restoreSet({
        source,
        shape: shapeOf(part, ctx.dataKey),
        selection:
          part.files.length === 0
            ? "all"
            : part.files.map((f) => ({
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
        onBytes: (_offset, openBytes) => {
          stats.bytes = restoredBytes + openBytes;
        },
        onFile: async (file) => {
          if (!dirs.has(file.path)) {
            progress.file(file.path);
            if (file.outcome !== "failed" && file.outcome !== "skipped") restoredFiles++;
          }
          if (file.outcome === "failed") failures.push(file);
          if (file.outcome === "restored" || file.outcome === "renamed") restoredBytes += file.bytes ?? 0;
          stats.bytes = restoredBytes;
          batch.push({
            path: file.path,
            outcome: file.outcome === "verified" ? "restored" : file.outcome,
            writtenTo: file.writtenTo,
            error: file.error?.slice(0, 2000) ?? null,
          });
          if (batch.length >= tuning.resultBatch) await flushResults();
        },
      });
      summary.restored += done.restored;
      summary.skipped += done.skipped;
      summary.failed += done.failed;
      summary.errors.push(...done.errors);
      // Later sets write into directories an earlier one restored: keep the times it gave them.
      if (index < parts.length - 1) await dirTimes.remember(part.files);
    }
    await dirTimes.restore();
    await progress.settle();
    await report();
    await flushResults();
    const files = summary.restored + summary.skipped + summary.failed;
    // What reached the destination, not where the reader was in the set's stream.
    const result = {
      summary: { files: restoredFiles, sourceBytes: restoredBytes, warnings: summary.failed },
    };
    const counts = `${summary.restored} of ${files} files restored (${bytesInWords(restoredBytes)}) to ${destination}${
      summary.skipped > 0 ? `, ${summary.skipped} skipped as already there` : ""
    }`;
    if (stop.signal.aborted)
      return { state: "cancelled", error: `cancelled before every file was restored: ${counts}`, ...result };
    if (summary.failed === 0 && summary.errors.length === 0) {
      await ctx.reporter.log([
        {
          at: new Date().toISOString(),
          level: "info",
          message:
            readSummaryLine({
              verb: "restored",
              files: summary.restored,
              bytes: restoredBytes,
              where: destination,
              ms: performance.now() - started,
            }) + (summary.skipped > 0 ? `; ${summary.skipped} skipped as already there` : ""),
          path: null,
        },
      ]);
      return { state: "completed", ...result };
    }
    // Any file not restored fails the restore: the operator asked for it and does not have it.
    const named = failures.slice(0, 10).map((f) => `${f.path}: ${f.error}`);
    const more = failures.length > named.length ? [`and ${failures.length - named.length} more`] : [];
    const error = [
      `${counts}; ${summary.failed} not restored (the run's log names each)`,
      ...summary.errors,
      ...named,
      ...more,
    ]
      .join("; ")
      .slice(0, 4000);
    return { state: "failed", error, retryable: false, ...result };
  } finally {
    await progress.close();
    await flushResults().catch(() => undefined);
  }
}

export const executeRestore: RestoreExecutor = createRestoreExecutor();

/** Directory times as one set's restore left them, put back after the later sets wrote into them. */
class DirTimes {
  private readonly times: { path: string; atime: Date; mtime: Date }[] = [];

  constructor(private readonly destination: string) {}

  async remember(files: readonly { path: string; type: string }[]): Promise<void> {
    for (const f of files) {
      if (f.type !== "dir") continue;
      const path = join(this.destination, f.path);
      const info = await lstat(path).catch(() => null);
      if (info?.isDirectory()) this.times.push({ path, atime: info.atime, mtime: info.mtime });
    }
  }

  async restore(): Promise<void> {
    // Deepest first, so setting a child's times never changes its parent's again.
    this.times.sort((a, b) => b.path.length - a.path.length);
    for (const t of this.times) await utimes(t.path, t.atime, t.mtime).catch(() => undefined);
  }
}

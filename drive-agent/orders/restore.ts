import { mkdir, realpath } from "node:fs/promises";
import type { OrderResult, RestoreFileResults, RestoreOrderBody } from "../../contracts/agent-protocol.ts";
import { OrderSegmentSource } from "./restore/order-segment-source.ts";
import { missingKey, ReadProgress, shapeOf } from "./restore/read-progress.ts";
import { restoreSet } from "./restore/restore-set.ts";
import type { FileOutcome } from "./restore/tar-extract.ts";
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
  const refused = missingKey(order, ctx.dataKey);
  if (refused) return { state: "failed", error: refused };
  const progress = new ReadProgress(ctx, () => order.files.length || null);
  const { stop, tick, stats, report } = progress;
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
    const source = new OrderSegmentSource(order, ctx, tick, {
      pollMs: tuning.tapePollMs,
      signal: stop.signal,
      report,
      purpose: "restore",
      fullToc: false,
    });
    const failures: FileOutcome[] = [];
    const summary = await restoreSet({
      source,
      shape: shapeOf(order, ctx.dataKey),
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
        progress.file(file.path);
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
    await progress.settle();
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
    await progress.close();
    await flushResults().catch(() => undefined);
  }
}

export const executeRestore: RestoreExecutor = createRestoreExecutor();

import { mkdir, realpath } from "node:fs/promises";
import type { OrderResult, RestoreFileResults, RestoreOrderBody } from "../../contracts/agent-protocol.ts";
import { OrderSegmentSource, type Tick } from "./restore/order-segment-source.ts";
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

export const executeRestore: RestoreExecutor = createRestoreExecutor();

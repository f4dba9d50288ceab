import type { LogLines, OrderResult, VerifyOrderBody } from "../../contracts/agent-protocol.ts";
import { OrderSegmentSource } from "./restore/order-segment-source.ts";
import { missingKey, ReadProgress, shapeOf } from "./restore/read-progress.ts";
import { restoreSet } from "./restore/restore-set.ts";
import type { FileOutcome } from "./restore/tar-extract.ts";
import { readSummaryLine } from "./summary-line.ts";
import type { ExecutorContext } from "./types.ts";

export type VerifyTuning = { progressIntervalMs: number; tapePollMs: number };
export type VerifyExecutor = (
  order: VerifyOrderBody,
  ctx: ExecutorContext & { dataKey: Uint8Array | null },
) => Promise<OrderResult>;

/** How many damaged files the result's error names; the run's log names every one. */
const NAMED_IN_RESULT = 5;

/**
 * A verify work order: reads the whole set back across its tapes, checks every file's sha256
 * against the tapes' TOCs and the tar structure to its end, writes nothing, and logs each damaged
 * file by name with the tape it is on. Completed = every file good; failed = damage, named.
 */
export function createVerifyExecutor(tuning: Partial<VerifyTuning> = {}): VerifyExecutor {
  const settings = { progressIntervalMs: 1_000, tapePollMs: 5_000, ...tuning };
  return (order, ctx) => runVerify(order, ctx, settings);
}

async function runVerify(
  order: VerifyOrderBody,
  ctx: ExecutorContext & { dataKey: Uint8Array | null },
  tuning: VerifyTuning,
): Promise<OrderResult> {
  const refused = missingKey(order, ctx.dataKey);
  if (refused) return { state: "failed", error: refused };
  const progress = new ReadProgress(ctx, () => source.knownMembers() || null);
  const { stop, tick, stats, report } = progress;
  const source = new OrderSegmentSource(order, ctx, tick, {
    pollMs: tuning.tapePollMs,
    signal: stop.signal,
    report,
    purpose: "verify",
    fullToc: true,
  });
  let lines: LogLines["lines"] = [];
  const flushLogs = async () => {
    if (lines.length === 0) return;
    const batch = lines;
    lines = [];
    await ctx.reporter.log(batch);
  };
  const damaged: { path: string; tape: string | null; error: string }[] = [];
  const seen = new Set<number>();
  const onFile = async (file: FileOutcome) => {
    progress.file(file.path);
    seen.add(file.offset);
    if (file.outcome !== "failed") return;
    const tape = source.barcodeAt(file.offset) ?? tick.tape;
    damaged.push({ path: file.path, tape, error: file.error ?? "unreadable" });
    lines.push({
      at: new Date().toISOString(),
      level: "error",
      message: `damaged on tape ${tape ?? "?"}: ${file.path}: ${file.error ?? "unreadable"}`,
      path: file.path,
    });
    if (lines.length >= 500) await flushLogs();
  };
  const started = performance.now();
  try {
    await progress.start(tuning.progressIntervalMs);
    const summary = await restoreSet({
      source,
      shape: shapeOf(order, ctx.dataKey),
      selection: "all",
      destination: null,
      overwrite: "skip",
      owners: false,
      signal: stop.signal,
      onBytes: (bytes) => {
        stats.bytes = bytes;
      },
      onFile,
    });
    if (stop.signal.aborted) return { state: "cancelled", error: "cancelled before the whole set was read" };
    // A member the TOCs list but the stream never reached (the tar archive ended early) is damage too.
    if (summary.errors.length === 0)
      for (const member of source.members())
        if (!seen.has(member.offset))
          await onFile({
            path: member.path,
            offset: member.offset,
            outcome: "failed",
            writtenTo: null,
            error: `listed in the TOC at tar offset ${member.offset} but not in the set's tar stream`,
          });
    if (summary.errors.length === 0)
      for (const tape of source.unread())
        summary.errors.push(
          `the tar archive ended before tape ${tape.barcode} (part ${tape.sequence + 1} of the set) was reached`,
        );
    await progress.settle();
    await report();
    const result = {
      summary: { files: stats.files, sourceBytes: summary.plainBytes, warnings: damaged.length },
    };
    if (damaged.length === 0 && summary.errors.length === 0) {
      lines.push({
        at: new Date().toISOString(),
        level: "info",
        message: `${readSummaryLine({
          verb: "verified",
          files: stats.files,
          bytes: summary.plainBytes,
          where: order.tapes.map((t) => t.barcode).join(", "),
          ms: performance.now() - started,
        })}: every checksum matches`,
        path: null,
      });
      return { state: "completed", ...result };
    }
    return { state: "failed", error: describeDamage(damaged, summary.errors), ...result };
  } finally {
    await progress.close();
    await flushLogs().catch(() => undefined);
  }
}

/** "2 files damaged: a/b.txt (tape X), c/d.bin (tape X)" then any read error: short, names the first files. */
export function describeDamage(damaged: { path: string; tape: string | null }[], errors: string[]): string {
  const parts: string[] = [];
  if (damaged.length > 0) {
    const named = damaged
      .slice(0, NAMED_IN_RESULT)
      .map((d) => `${d.path}${d.tape ? ` (tape ${d.tape})` : ""}`);
    const more = damaged.length > NAMED_IN_RESULT ? `, and ${damaged.length - NAMED_IN_RESULT} more` : "";
    parts.push(
      `${damaged.length} file${damaged.length === 1 ? "" : "s"} damaged: ${named.join(", ")}${more}`,
    );
  }
  parts.push(...errors);
  return parts.join("; ").slice(0, 4000);
}

export const executeVerify: VerifyExecutor = createVerifyExecutor();

import { and, asc, desc, eq, inArray } from "drizzle-orm";
import { streamingVerdict } from "../../../contracts/lto-speeds.ts";
import { backupSetSegments, backupSets, drives, jobLogs, jobs, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getRun } from "./get-run.ts";
import { liveFigures, runActions } from "./run-actions.ts";
import { runSamples } from "./throughput-samples.ts";

const NOTABLE_LINES = 200;

/**
 * A run as its page shows it: the run, its job, tape and drive by name, what the operator may
 * do next, and once it ended what it did (duration, the set it wrote or read, tapes, warnings).
 */
export async function getRunView(ctx: ServiceCtx, id: number) {
  const run = await getRun(ctx, id);
  const [job, tape, drive, notable, set, segments] = await Promise.all([
    ctx.db.query.jobs.findFirst({ where: eq(jobs.id, run.jobId), columns: { name: true } }),
    run.currentTapeId
      ? ctx.db.query.tapes.findFirst({ where: eq(tapes.id, run.currentTapeId), columns: { barcode: true } })
      : undefined,
    run.driveId
      ? ctx.db.query.drives.findFirst({ where: eq(drives.id, run.driveId), columns: { name: true } })
      : undefined,
    // The lines an operator must not miss however long the log: every warning and error, the summary.
    ctx.db.query.jobLogs.findMany({
      where: and(eq(jobLogs.runId, id), inArray(jobLogs.level, ["warn", "error"])),
      orderBy: asc(jobLogs.id),
      limit: NOTABLE_LINES,
    }),
    run.setId ? ctx.db.query.backupSets.findFirst({ where: eq(backupSets.id, run.setId) }) : undefined,
    run.setId
      ? ctx.db
          .select({ barcode: tapes.barcode, id: tapes.id })
          .from(backupSetSegments)
          .innerJoin(tapes, eq(tapes.id, backupSetSegments.tapeId))
          .where(eq(backupSetSegments.setId, run.setId))
          .orderBy(backupSetSegments.sequence)
      : [],
  ]);
  const summaryLine = run.finishedAt
    ? await ctx.db.query.jobLogs.findFirst({
        where: and(eq(jobLogs.runId, id), eq(jobLogs.level, "info")),
        orderBy: desc(jobLogs.id),
      })
    : undefined;
  const durationSeconds =
    run.startedAt && run.finishedAt ? (run.finishedAt.getTime() - run.startedAt.getTime()) / 1000 : null;
  return {
    ...run,
    jobName: job?.name ?? `job ${run.jobId}`,
    tapeBarcode: tape?.barcode ?? null,
    driveName: drive?.name ?? null,
    actions: runActions(run),
    /** Whether the drive shoe-shined, and what would help (contracts/lto-speeds.ts). */
    streamingVerdict: streamingVerdict(run.streaming),
    ...liveFigures(run, ctx.now()),
    outcome: run.finishedAt
      ? {
          durationSeconds,
          summary: summaryLine?.message ?? null,
          // Only a backup wrote its set; a restore or verify shows its own figures, not the set's size.
          set: set
            ? {
                id: set.id,
                state: set.state,
                written: run.kind === "backup",
                sourceBytes: set.sourceBytes,
                tapeBytes: set.tapeBytes,
                fileCount: set.fileCount,
                compression: set.compression,
                keyFingerprint: set.encryption === "none" ? null : set.encryptionKeyFingerprint,
                ratio: set.tapeBytes > 0 ? set.sourceBytes / set.tapeBytes : null,
              }
            : null,
          tapes: [...new Map(segments.map((s) => [s.id, s])).values()],
        }
      : null,
    notable,
    /** The run's stored throughput history up to now: its chart, from the start. */
    samples: runSamples(run, ctx.now()),
  };
}

export type RunView = Awaited<ReturnType<typeof getRunView>>;

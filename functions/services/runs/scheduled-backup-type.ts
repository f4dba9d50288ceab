import { and, desc, eq } from "drizzle-orm";
import { backupSets, type jobs } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { nextRun } from "../jobs/job-input.ts";

/**
 * The type of a scheduled run: a full when the job's full schedule fired since its last full
 * set started (or it has none yet), otherwise the job's own type. Nightly incrementals with a
 * weekly full are one job, so the incrementals build on that full.
 */
export async function scheduledBackupType(ctx: ServiceCtx, job: typeof jobs.$inferSelect, at: Date) {
  if (!job.fullSchedule || job.backupType === "full") return job.backupType;
  const lastFull = await ctx.db.query.backupSets.findFirst({
    where: and(
      eq(backupSets.jobId, job.id),
      eq(backupSets.backupType, "full"),
      eq(backupSets.state, "complete"),
    ),
    orderBy: desc(backupSets.startedAt),
  });
  if (!lastFull) return "full";
  const due = nextRun(job.fullSchedule, lastFull.startedAt);
  return due && due <= at ? "full" : job.backupType;
}

import { desc, eq } from "drizzle-orm";
import { backupSets, jobs } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";

/** What the restore wizard's first step offers: the newest sets, and the backup jobs to pick a moment of. */
export async function restoreChoices(ctx: ServiceCtx, limit = 50) {
  const sets = await ctx.db
    .select({ set: backupSets, jobName: jobs.name })
    .from(backupSets)
    .leftJoin(jobs, eq(jobs.id, backupSets.jobId))
    .orderBy(desc(backupSets.id))
    .limit(limit);
  const jobList = await ctx.db
    .select({ id: jobs.id, name: jobs.name })
    .from(jobs)
    .where(eq(jobs.kind, "backup"))
    .orderBy(jobs.name);
  return { sets: sets.map((s) => ({ ...s.set, jobName: s.jobName })), jobs: jobList };
}

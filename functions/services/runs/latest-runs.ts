import { desc, eq } from "drizzle-orm";
import { jobRuns } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";

export async function latestRuns(ctx: ServiceCtx, jobId: number, limit = 20) {
  return ctx.db.query.jobRuns.findMany({ where: eq(jobRuns.jobId, jobId), orderBy: desc(jobRuns.id), limit });
}

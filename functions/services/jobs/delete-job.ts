import { eq } from "drizzle-orm";
import { jobs } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getJob } from "./get-job.ts";

export async function deleteJob(ctx: ServiceCtx, id: number) {
  const job = await getJob(ctx, id);
  await ctx.db.delete(jobs).where(eq(jobs.id, id));
  return job;
}

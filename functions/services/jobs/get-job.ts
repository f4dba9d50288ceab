import { eq } from "drizzle-orm";
import { jobs } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";

export async function getJob(ctx: ServiceCtx, id: number) {
  return getOrThrow(await ctx.db.query.jobs.findFirst({ where: eq(jobs.id, id) }), "Job", id);
}

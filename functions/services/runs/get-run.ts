import { eq } from "drizzle-orm";
import { jobRuns } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";

export async function getRun(ctx: ServiceCtx, id: number) {
  return getOrThrow(await ctx.db.query.jobRuns.findFirst({ where: eq(jobRuns.id, id) }), "Run", id);
}

import { jobs } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { type PageRequest, pageWhere, toPage } from "../shared/pagination.ts";

export async function listJobs(ctx: ServiceCtx, page: PageRequest) {
  return toPage(await ctx.db.query.jobs.findMany(pageWhere(jobs.id, page, "asc")), page);
}

import { jobs } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { type PageRequest, pageWhere, toPage } from "../shared/pagination.ts";
import { type SiteFilter, siteWhere } from "../sites/site-scope.ts";

export async function listJobs(ctx: ServiceCtx, page: PageRequest, filter: SiteFilter = {}) {
  const where = siteWhere(ctx, { kind: "job", id: jobs.id }, filter.site);
  return toPage(await ctx.db.query.jobs.findMany(pageWhere(jobs.id, page, "asc", where)), page);
}

import { eq } from "drizzle-orm";
import { z } from "zod";
import { jobRuns } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { type PageRequest, pageWhere, toPage } from "../shared/pagination.ts";
import { siteFilter, siteWhere } from "../sites/site-scope.ts";

export const runFilter = z.object({
  jobId: z.coerce.number().int().positive().optional(),
  state: z.string().max(32).optional(),
  ...siteFilter.shape,
});

export async function listRuns(ctx: ServiceCtx, page: PageRequest, filter: z.output<typeof runFilter>) {
  const rows = await ctx.db.query.jobRuns.findMany(
    pageWhere(
      jobRuns.id,
      page,
      "desc",
      filter.jobId ? eq(jobRuns.jobId, filter.jobId) : undefined,
      siteWhere(ctx, { kind: "run", id: jobRuns.id }, filter.site),
      filter.state ? eq(jobRuns.state, filter.state as "queued") : undefined,
    ),
  );
  return toPage(rows, page);
}

import { sources } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { type PageRequest, pageWhere, toPage } from "../shared/pagination.ts";
import { type SiteFilter, siteWhere } from "../sites/site-scope.ts";

export async function listSources(ctx: ServiceCtx, page: PageRequest, filter: SiteFilter = {}) {
  const where = siteWhere(ctx, { kind: "source", id: sources.id }, filter.site);
  return toPage(await ctx.db.query.sources.findMany(pageWhere(sources.id, page, "asc", where)), page);
}

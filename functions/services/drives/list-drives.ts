import { drives } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { type PageRequest, pageWhere, toPage } from "../shared/pagination.ts";
import { type SiteFilter, siteWhere } from "../sites/site-scope.ts";

export async function listDrives(ctx: ServiceCtx, page: PageRequest, filter: SiteFilter = {}) {
  const where = siteWhere(ctx, { kind: "drive", id: drives.id }, filter.site);
  return toPage(await ctx.db.query.drives.findMany(pageWhere(drives.id, page, "asc", where)), page);
}

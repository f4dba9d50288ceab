import { isNull, or } from "drizzle-orm";
import { pools } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { type PageRequest, pageWhere, toPage } from "../shared/pagination.ts";
import { type SiteFilter, siteWhere } from "../sites/site-scope.ts";

/** A site's pools, and the pools bound to no site (any site may write them). */
export async function listPools(ctx: ServiceCtx, page: PageRequest, filter: SiteFilter = {}) {
  const at = siteWhere(ctx, { column: pools.siteId }, filter.site);
  const where = at ? or(at, isNull(pools.siteId)) : undefined;
  return toPage(await ctx.db.query.pools.findMany(pageWhere(pools.id, page, "asc", where)), page);
}

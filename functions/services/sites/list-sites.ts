import { asc } from "drizzle-orm";
import { sites } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { siteWhere } from "./site-scope.ts";

/** Sites are few: one page, by name; a site-scoped caller sees their own. Retired ones last. */
export async function listSites(ctx: ServiceCtx) {
  const rows = await ctx.db.query.sites.findMany({
    where: siteWhere(ctx, { column: sites.id }, undefined),
    orderBy: [asc(sites.retiredAt), asc(sites.name)],
    limit: 1000,
  });
  return { items: rows, nextCursor: null };
}

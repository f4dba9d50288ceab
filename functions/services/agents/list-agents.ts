import { agents } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { type SiteFilter, siteWhere } from "../sites/site-scope.ts";
import { toPublicAgent } from "./to-public-agent.ts";

/** Agents are few (one per tape host): one page, by name. */
export async function listAgents(ctx: ServiceCtx, filter: SiteFilter = {}) {
  const rows = await ctx.db.query.agents.findMany({
    where: siteWhere(ctx, { column: agents.siteId }, filter.site),
    orderBy: agents.name,
    limit: 1000,
  });
  return { items: rows.map((a) => toPublicAgent(a, ctx.now())), nextCursor: null };
}

import { pools } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { type PageRequest, pageWhere, toPage } from "../shared/pagination.ts";

export async function listPools(ctx: ServiceCtx, page: PageRequest) {
  return toPage(await ctx.db.query.pools.findMany(pageWhere(pools.id, page, "asc")), page);
}

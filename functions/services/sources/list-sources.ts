import { sources } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { type PageRequest, pageWhere, toPage } from "../shared/pagination.ts";

export async function listSources(ctx: ServiceCtx, page: PageRequest) {
  return toPage(await ctx.db.query.sources.findMany(pageWhere(sources.id, page, "asc")), page);
}

import { drives } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { type PageRequest, pageWhere, toPage } from "../shared/pagination.ts";

export async function listDrives(ctx: ServiceCtx, page: PageRequest) {
  return toPage(await ctx.db.query.drives.findMany(pageWhere(drives.id, page, "asc")), page);
}

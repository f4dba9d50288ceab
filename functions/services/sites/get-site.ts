import { eq } from "drizzle-orm";
import { sites } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";

export async function getSite(ctx: ServiceCtx, id: number) {
  return getOrThrow(await ctx.db.query.sites.findFirst({ where: eq(sites.id, id) }), "Site", id);
}

import { eq } from "drizzle-orm";
import { pools } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";

export async function getPool(ctx: ServiceCtx, id: number) {
  return getOrThrow(await ctx.db.query.pools.findFirst({ where: eq(pools.id, id) }), "Pool", id);
}

import { eq } from "drizzle-orm";
import { sources } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";

export async function getSource(ctx: ServiceCtx, id: number) {
  return getOrThrow(await ctx.db.query.sources.findFirst({ where: eq(sources.id, id) }), "Source", id);
}

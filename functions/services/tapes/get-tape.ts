import { eq } from "drizzle-orm";
import { tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";

export async function getTape(ctx: ServiceCtx, id: number) {
  return getOrThrow(await ctx.db.query.tapes.findFirst({ where: eq(tapes.id, id) }), "Tape", id);
}

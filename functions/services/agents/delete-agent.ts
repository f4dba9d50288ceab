import { eq } from "drizzle-orm";
import { agents } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";

export async function deleteAgent(ctx: ServiceCtx, id: string) {
  const agent = getOrThrow(await ctx.db.query.agents.findFirst({ where: eq(agents.id, id) }), "Agent", id);
  await ctx.db.delete(agents).where(eq(agents.id, id));
  return agent;
}

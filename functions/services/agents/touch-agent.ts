import { eq } from "drizzle-orm";
import { agents } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";

export async function touchAgent(ctx: ServiceCtx, agentId: string) {
  await ctx.db.update(agents).set({ lastSeenAt: ctx.now(), state: "online" }).where(eq(agents.id, agentId));
}

import { eq } from "drizzle-orm";
import { sessions } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";

export async function revokeSession(ctx: ServiceCtx, sessionId: string): Promise<void> {
  await ctx.db.update(sessions).set({ revokedAt: ctx.now() }).where(eq(sessions.id, sessionId));
}

import { and, eq, isNull } from "drizzle-orm";
import { sessions } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";

export async function revokeUserSessions(ctx: ServiceCtx, userId: number): Promise<void> {
  await ctx.db
    .update(sessions)
    .set({ revokedAt: ctx.now() })
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt)));
}

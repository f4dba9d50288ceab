import { and, eq, isNull } from "drizzle-orm";
import { apiKeys } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { toPublicApiKey } from "./to-public-api-key.ts";

export async function revokeApiKey(ctx: ServiceCtx, id: number) {
  const [row] = await ctx.db
    .update(apiKeys)
    .set({ revokedAt: ctx.now() })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning();
  return toPublicApiKey(getOrThrow(row, "API key", id));
}

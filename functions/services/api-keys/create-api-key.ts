import { z } from "zod";
import { apiKeys, ROLES } from "../../db/schema/index.ts";
import type { Principal, ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { generateApiKey } from "../../security/api-key.ts";
import { roleCovers } from "../../security/permissions.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { displayName } from "../shared/input-schemas.ts";
import { toPublicApiKey } from "./to-public-api-key.ts";

export const createApiKeyInput = z.object({
  name: displayName(),
  role: z.enum(ROLES),
  expiresInDays: z.number().int().min(1).max(3650).nullish(),
});

/** Returns the key in clear exactly once; only its SHA-256 is stored. */
export async function createApiKey(
  ctx: ServiceCtx,
  owner: Principal,
  input: z.output<typeof createApiKeyInput>,
) {
  if (!roleCovers(owner.role, input.role)) {
    throw new AppError("forbidden", `A key cannot have more rights than its owner (${owner.role})`);
  }
  const generated = await generateApiKey();
  const now = ctx.now();
  const [row] = await ctx.db
    .insert(apiKeys)
    .values({
      prefix: generated.prefix,
      keyHash: generated.hash,
      name: input.name,
      userId: owner.userId,
      role: input.role,
      expiresAt: input.expiresInDays ? new Date(now.getTime() + input.expiresInDays * 86_400_000) : null,
      createdAt: now,
    })
    .returning();
  return { key: generated.key, apiKey: toPublicApiKey(getOrThrow(row, "API key", generated.prefix)) };
}

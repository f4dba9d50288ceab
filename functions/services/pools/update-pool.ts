import { eq } from "drizzle-orm";
import type { z } from "zod";
import { pools } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { checkKeyWritesAt } from "../encryption-keys/key-writes-at.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { patchSchema } from "../shared/input-schemas.ts";
import { checkPlacement } from "../sites/active-site.ts";
import { createPoolInput } from "./create-pool.ts";
import { getPool } from "./get-pool.ts";
import { checkPolicy } from "./pool-policy.ts";

export const updatePoolInput = patchSchema(createPoolInput);

export async function updatePool(ctx: ServiceCtx, id: number, input: z.output<typeof updatePoolInput>) {
  const current = await getPool(ctx, id);
  if (input.siteId !== undefined) await checkPlacement(ctx, input.siteId, "pool");
  if (input.siteId !== undefined && current.encryptionKeyId)
    await checkKeyWritesAt(ctx, current.encryptionKeyId, input.siteId ?? null, `pool ${current.name}`);
  // The cross-field rules hold for the pool as it will be, not for the patch alone.
  checkPolicy({ ...current, ...input } as Parameters<typeof checkPolicy>[0]);
  const [row] = await ctx.db
    .update(pools)
    .set({ ...input, updatedAt: ctx.now() })
    .where(eq(pools.id, id))
    .returning();
  return getOrThrow(row, "Pool", id);
}

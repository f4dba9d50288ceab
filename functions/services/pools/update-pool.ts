import { eq } from "drizzle-orm";
import type { z } from "zod";
import { pools } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { patchSchema } from "../shared/input-schemas.ts";
import { createPoolInput } from "./create-pool.ts";

export const updatePoolInput = patchSchema(createPoolInput);

export async function updatePool(ctx: ServiceCtx, id: number, input: z.output<typeof updatePoolInput>) {
  const [row] = await ctx.db
    .update(pools)
    .set({ ...input, updatedAt: ctx.now() })
    .where(eq(pools.id, id))
    .returning();
  return getOrThrow(row, "Pool", id);
}

import { z } from "zod";
import { pools } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { displayName, optionalText } from "../shared/input-schemas.ts";
import { checkPlacement } from "../sites/active-site.ts";
import { checkPolicy, poolPolicyFields } from "./pool-policy.ts";

export const createPoolInput = z.object({
  name: displayName(),
  description: optionalText(500),
  retentionDays: z.number().int().min(0).max(36_500).default(30),
  allowReuse: z.boolean().default(true),
  ...poolPolicyFields,
  /** Bind the pool to one site's tapes; null: any site. */
  siteId: z.number().int().positive().nullish(),
});

export async function createPool(ctx: ServiceCtx, input: z.output<typeof createPoolInput>) {
  checkPolicy({
    ...input,
    allocationCalendar: input.allocationCalendar ?? null,
    generation: input.generation ?? null,
    barcodePrefix: input.barcodePrefix ?? null,
  });
  await checkPlacement(ctx, input.siteId, "pool");
  const now = ctx.now();
  const [row] = await ctx.db
    .insert(pools)
    .values({ ...input, createdAt: now, updatedAt: now })
    .returning();
  return getOrThrow(row, "Pool", input.name);
}

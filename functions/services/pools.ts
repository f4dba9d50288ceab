import { count, eq } from "drizzle-orm";
import { z } from "zod";
import { jobs, pools, tapes } from "../db/schema/index.ts";
import type { ServiceCtx } from "../deps.ts";
import { conflict } from "../errors.ts";
import {
  displayName,
  getOrThrow,
  optionalText,
  type PageRequest,
  pageWhere,
  patchSchema,
  toPage,
} from "./shared.ts";

export const createPoolInput = z.object({
  name: displayName(),
  description: optionalText(500),
  retentionDays: z.number().int().min(0).max(36_500).default(30),
  allowReuse: z.boolean().default(true),
});
export const updatePoolInput = patchSchema(createPoolInput);

export async function listPools(ctx: ServiceCtx, page: PageRequest) {
  return toPage(await ctx.db.query.pools.findMany(pageWhere(pools.id, page, "asc")), page);
}

export async function getPool(ctx: ServiceCtx, id: number) {
  return getOrThrow(await ctx.db.query.pools.findFirst({ where: eq(pools.id, id) }), "Pool", id);
}

export async function createPool(ctx: ServiceCtx, input: z.output<typeof createPoolInput>) {
  const now = ctx.now();
  const [row] = await ctx.db
    .insert(pools)
    .values({ ...input, createdAt: now, updatedAt: now })
    .returning();
  return getOrThrow(row, "Pool", input.name);
}

export async function updatePool(ctx: ServiceCtx, id: number, input: z.output<typeof updatePoolInput>) {
  const [row] = await ctx.db
    .update(pools)
    .set({ ...input, updatedAt: ctx.now() })
    .where(eq(pools.id, id))
    .returning();
  return getOrThrow(row, "Pool", id);
}

/** A pool that still holds tapes or feeds jobs cannot go: those would lose their home. */
export async function deletePool(ctx: ServiceCtx, id: number) {
  const pool = await getPool(ctx, id);
  const [tapeCount] = await ctx.db.select({ n: count() }).from(tapes).where(eq(tapes.poolId, id));
  const [jobCount] = await ctx.db.select({ n: count() }).from(jobs).where(eq(jobs.poolId, id));
  if ((tapeCount?.n ?? 0) > 0 || (jobCount?.n ?? 0) > 0) {
    throw conflict(
      `Pool ${pool.name} still has ${tapeCount?.n ?? 0} tape(s) and ${jobCount?.n ?? 0} job(s); move them first`,
    );
  }
  await ctx.db.delete(pools).where(eq(pools.id, id));
  return pool;
}

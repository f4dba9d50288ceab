import { count, eq } from "drizzle-orm";
import { z } from "zod";
import { jobs, SOURCE_KINDS, sources } from "../db/schema/index.ts";
import type { ServiceCtx } from "../deps.ts";
import { conflict } from "../errors.ts";
import { displayName, getOrThrow, type PageRequest, pageWhere, patchSchema, toPage } from "./shared.ts";

/** An absolute path on the agent's host; no `..` so a source cannot climb out of what it names. */
const sourcePath = z
  .string()
  .max(4096)
  .refine((p) => p.startsWith("/"), "must be an absolute path")
  .refine((p) => !p.split("/").includes(".."), "must not contain '..'")
  .refine((p) => !p.includes("\u0000"), "must not contain NUL");

const glob = z.string().min(1).max(1024);

export const createSourceInput = z.object({
  name: displayName(),
  kind: z.enum(SOURCE_KINDS),
  agentId: z.string().max(64).nullish(),
  paths: z.array(sourcePath).min(1, "give at least one path").max(64),
  include: z.array(glob).max(256).default([]),
  exclude: z.array(glob).max(256).default([]),
  options: z.record(z.string(), z.unknown()).nullish(),
});
export const updateSourceInput = patchSchema(createSourceInput);

export async function listSources(ctx: ServiceCtx, page: PageRequest) {
  return toPage(await ctx.db.query.sources.findMany(pageWhere(sources.id, page, "asc")), page);
}

export async function getSource(ctx: ServiceCtx, id: number) {
  return getOrThrow(await ctx.db.query.sources.findFirst({ where: eq(sources.id, id) }), "Source", id);
}

export async function createSource(ctx: ServiceCtx, input: z.output<typeof createSourceInput>) {
  const now = ctx.now();
  const [row] = await ctx.db
    .insert(sources)
    .values({ ...input, createdAt: now, updatedAt: now })
    .returning();
  return getOrThrow(row, "Source", input.name);
}

export async function updateSource(ctx: ServiceCtx, id: number, input: z.output<typeof updateSourceInput>) {
  const [row] = await ctx.db
    .update(sources)
    .set({ ...input, updatedAt: ctx.now() })
    .where(eq(sources.id, id))
    .returning();
  return getOrThrow(row, "Source", id);
}

export async function deleteSource(ctx: ServiceCtx, id: number) {
  const source = await getSource(ctx, id);
  const [used] = await ctx.db.select({ n: count() }).from(jobs).where(eq(jobs.sourceId, id));
  if ((used?.n ?? 0) > 0)
    throw conflict(`Source ${source.name} is used by ${used?.n} job(s); change or delete them first`);
  await ctx.db.delete(sources).where(eq(sources.id, id));
  return source;
}

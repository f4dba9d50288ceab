import { z } from "zod";
import { SOURCE_KINDS, sources } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { displayName } from "../shared/input-schemas.ts";

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

export async function createSource(ctx: ServiceCtx, input: z.output<typeof createSourceInput>) {
  const now = ctx.now();
  const [row] = await ctx.db
    .insert(sources)
    .values({ ...input, createdAt: now, updatedAt: now })
    .returning();
  return getOrThrow(row, "Source", input.name);
}

import { z } from "zod";
import { SOURCE_KINDS, sources } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { displayName } from "../shared/input-schemas.ts";
import { checkSourceShape } from "./proxmox-options.ts";

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
  /** At least one, except for a Proxmox source, which names guests in its options instead. */
  paths: z.array(sourcePath).max(64).default([]),
  include: z.array(glob).max(256).default([]),
  exclude: z.array(glob).max(256).default([]),
  options: z.record(z.string(), z.unknown()).nullish(),
});

export async function createSource(ctx: ServiceCtx, input: z.output<typeof createSourceInput>) {
  const options = checkSourceShape(input.kind, input.paths, input.options);
  const now = ctx.now();
  const [row] = await ctx.db
    .insert(sources)
    .values({ ...input, options, createdAt: now, updatedAt: now })
    .returning();
  return getOrThrow(row, "Source", input.name);
}

import { eq } from "drizzle-orm";
import type { z } from "zod";
import { sources } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { patchSchema } from "../shared/input-schemas.ts";
import { createSourceInput } from "./create-source.ts";
import { getSource } from "./get-source.ts";
import { checkSourceShape } from "./proxmox-options.ts";

export const updateSourceInput = patchSchema(createSourceInput);

export async function updateSource(ctx: ServiceCtx, id: number, input: z.output<typeof updateSourceInput>) {
  const existing = await getSource(ctx, id);
  const options = checkSourceShape(
    input.kind ?? existing.kind,
    input.paths ?? existing.paths,
    input.options === undefined ? existing.options : input.options,
  );
  const [row] = await ctx.db
    .update(sources)
    .set({ ...input, options, updatedAt: ctx.now() })
    .where(eq(sources.id, id))
    .returning();
  return getOrThrow(row, "Source", id);
}

import { eq } from "drizzle-orm";
import type { z } from "zod";
import { sites } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { conflict } from "../../errors.ts";
import { patchSchema } from "../shared/input-schemas.ts";
import { createSiteInput } from "./create-site.ts";
import { getSite } from "./get-site.ts";

/** Rename a site, or change its zone, contact or notes; its objects stay where they are. */
export const updateSiteInput = patchSchema(createSiteInput);

export async function updateSite(ctx: ServiceCtx, id: number, input: z.output<typeof updateSiteInput>) {
  await getSite(ctx, id);
  if (input.name) {
    const taken = await ctx.db.query.sites.findFirst({ where: eq(sites.name, input.name) });
    if (taken && taken.id !== id) throw conflict(`A site named ${input.name} already exists`);
  }
  await ctx.db.update(sites).set(input).where(eq(sites.id, id));
  return getSite(ctx, id);
}

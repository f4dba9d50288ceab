import { z } from "zod";
import { sites } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { conflict } from "../../errors.ts";
import { timeZoneInput } from "../settings/time-zone.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { displayName, optionalText } from "../shared/input-schemas.ts";

export const createSiteInput = z.object({
  name: displayName(),
  /** IANA zone of the site's schedules and pre-flight deadlines; null or "": the hub's zone. */
  timeZone: timeZoneInput.shape.timeZone.optional(),
  contact: optionalText(200),
  notes: optionalText(2000),
});

export async function createSite(ctx: ServiceCtx, input: z.output<typeof createSiteInput>) {
  const taken = await ctx.db.query.sites.findFirst({ where: (s, { eq }) => eq(s.name, input.name) });
  if (taken) throw conflict(`A site named ${input.name} already exists`);
  const [row] = await ctx.db
    .insert(sites)
    .values({ ...input, timeZone: input.timeZone ?? null, createdAt: ctx.now() })
    .returning();
  return getOrThrow(row, "Site", input.name);
}

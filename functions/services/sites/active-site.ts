import { eq } from "drizzle-orm";
import { sites } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError, conflict } from "../../errors.ts";

/** A site that takes new objects: it exists and is not retired. */
export async function activeSite(ctx: ServiceCtx, id: number) {
  const site = await ctx.db.query.sites.findFirst({ where: eq(sites.id, id) });
  if (!site) throw new AppError("validation_failed", `Site ${id} does not exist`);
  if (site.retiredAt) throw conflict(`Site ${site.name} is retired; it takes no new agents, tapes or pools`);
  return site;
}

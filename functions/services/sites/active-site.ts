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

/**
 * Where a new (or re-bound) tape or pool goes: an active site, or none. None is not a site-scoped
 * caller's to choose: a pool or tape at no site would leave their sites (and their sight).
 */
export async function checkPlacement(ctx: ServiceCtx, siteId: number | null | undefined, noun: string) {
  if (siteId) {
    await activeSite(ctx, siteId);
    return;
  }
  if (ctx.sites)
    throw new AppError(
      "forbidden",
      `Choose one of your sites for the ${noun}: your roles hold at some sites only, so it cannot be at no site`,
    );
}

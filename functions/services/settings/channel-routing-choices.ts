import { asc } from "drizzle-orm";
import { pools, sites } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";

const MAX_CHOICES = 200;

/** The sites and pools a channel may be limited to, for the settings page's boxes. */
export async function channelRoutingChoices(ctx: ServiceCtx) {
  const [siteRows, poolRows] = await Promise.all([
    ctx.db.select({ id: sites.id, name: sites.name }).from(sites).orderBy(asc(sites.name)).limit(MAX_CHOICES),
    ctx.db.select({ id: pools.id, name: pools.name }).from(pools).orderBy(asc(pools.name)).limit(MAX_CHOICES),
  ]);
  return { sites: siteRows, pools: poolRows };
}

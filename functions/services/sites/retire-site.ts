import { eq } from "drizzle-orm";
import { agents, sites } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { conflict } from "../../errors.ts";
import { getSite } from "./get-site.ts";

/**
 * A retired site keeps its history (tapes moved out of it, audit rows, events) and takes nothing
 * new. It is refused while an agent still works there: move or delete the agent first.
 */
export async function retireSite(ctx: ServiceCtx, id: number) {
  const site = await getSite(ctx, id);
  if (site.retiredAt) return site;
  const working = await ctx.db.query.agents.findFirst({
    where: eq(agents.siteId, id),
  });
  if (working)
    throw conflict(
      `Agent ${working.name} still works at site ${site.name}; delete it before retiring the site`,
    );
  await ctx.db.update(sites).set({ retiredAt: ctx.now() }).where(eq(sites.id, id));
  return getSite(ctx, id);
}

import { and, eq, or, sql } from "drizzle-orm";
import { agents, tapeMoves, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";

/**
 * The library is where a cartridge physically is: tapes an agent reports in its drives or slots
 * belong to the agent's site. One that the catalog had at another site is recorded as moved by
 * that inventory (so the tape page's history says so), never silently.
 */
export async function followLibrary(ctx: ServiceCtx, agentId: string, barcodes: string[]): Promise<void> {
  if (barcodes.length === 0) return;
  const agent = await ctx.db.query.agents.findFirst({ where: eq(agents.id, agentId) });
  if (!agent?.siteId) return;
  const siteId = agent.siteId;
  const inLibrary = sql`${tapes.barcode} in (select value from json_each(${JSON.stringify(barcodes)}))`;
  const elsewhere = await ctx.db
    .select({ id: tapes.id, siteId: tapes.siteId })
    .from(tapes)
    .where(and(inLibrary, or(sql`${tapes.siteId} is null`, sql`${tapes.siteId} <> ${siteId}`)));
  if (elsewhere.length === 0) return;
  const now = ctx.now();
  const moved = elsewhere.filter((t) => t.siteId !== null);
  if (moved.length > 0)
    await ctx.db.insert(tapeMoves).values(
      moved.map((t) => ({
        tapeId: t.id,
        fromSiteId: t.siteId,
        toSiteId: siteId,
        movedAt: now,
        actor: `inventory of agent ${agent.name}`,
        note: "found in this site's library without a recorded move",
      })),
    );
  await ctx.db
    .update(tapes)
    .set({ siteId, updatedAt: now })
    .where(and(inLibrary, or(sql`${tapes.siteId} is null`, sql`${tapes.siteId} <> ${siteId}`)));
}

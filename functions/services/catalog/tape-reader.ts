import { and, eq, ne } from "drizzle-orm";
import { agents, drives, sites, type tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";

/** LTO drives read their own generation and the one before (LTO-7 and older: two before). */
export function driveReads(driveGeneration: string | null, tapeGeneration: string | null): boolean {
  const drive = Number(driveGeneration?.match(/(\d+)/)?.[1]);
  const tape = Number(tapeGeneration?.match(/(\d+)/)?.[1]);
  if (!drive || !tape) return true;
  const back = drive <= 7 ? 2 : 1;
  return tape <= drive && tape >= drive - back;
}

export type TapeReader = {
  site: { id: number; name: string } | null;
  /** A drive at the tape's site that can read it: the one holding it, one of its changer, else any. */
  drive: { id: number; name: string; agentId: string; agent: string } | null;
};

/** Where a tape is (its site) and which drive there can read it, for a restore plan and its order. */
export async function tapeReader(ctx: ServiceCtx, tape: typeof tapes.$inferSelect): Promise<TapeReader> {
  const site = tape.siteId
    ? ((await ctx.db.query.sites.findFirst({ where: eq(sites.id, tape.siteId) })) ?? null)
    : null;
  const candidates = await ctx.db
    .select({ drive: drives, agent: agents.name, agentState: agents.state })
    .from(drives)
    .innerJoin(agents, eq(agents.id, drives.agentId))
    .where(and(ne(drives.state, "offline"), tape.siteId ? eq(agents.siteId, tape.siteId) : undefined));
  const readable = candidates.filter((c) => driveReads(c.drive.generation, tape.generation));
  const best =
    readable.find((c) => c.drive.id === tape.driveId) ??
    readable.find((c) => tape.changerId !== null && c.drive.changerId === tape.changerId) ??
    readable.find((c) => c.agentState === "online" && c.drive.state === "idle") ??
    readable.find((c) => c.agentState === "online");
  return {
    site: site ? { id: site.id, name: site.name } : null,
    drive: best
      ? { id: best.drive.id, name: best.drive.name, agentId: best.drive.agentId, agent: best.agent }
      : null,
  };
}

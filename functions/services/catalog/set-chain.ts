import { and, desc, eq, lte } from "drizzle-orm";
import { backupSets } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";

type SetRow = typeof backupSets.$inferSelect;

/** A chain is this long at most: more means a loop in base_set_id (never written by the hub). */
const MAX_CHAIN = 1000;

/**
 * The sets whose merge is the tree as it was after `set` ran: its full, then each set built on
 * it up to `set`, oldest first (an incremental's base is the previous set, a differential's the
 * full). `broken` names a base the catalog no longer holds: the chain then starts after it.
 */
export async function chainOf(
  ctx: ServiceCtx,
  set: SetRow,
): Promise<{ sets: SetRow[]; broken: string | null }> {
  const sets = [set];
  let current = set;
  while (current.backupType !== "full" && current.baseSetId !== null && sets.length < MAX_CHAIN) {
    const baseId = current.baseSetId;
    const base = await ctx.db.query.backupSets.findFirst({ where: eq(backupSets.id, baseId) });
    if (!base)
      return {
        sets: sets.reverse(),
        broken: `Set ${current.id} is based on set ${baseId}, which the catalog no longer holds: the tree holds only what the later sets hold`,
      };
    sets.push(base);
    current = base;
  }
  return { sets: sets.reverse(), broken: null };
}

/** The job's newest complete set started at or before `at`: the point a restore "as of" goes back to. */
export async function setAsOf(ctx: ServiceCtx, jobId: number, at: Date): Promise<SetRow> {
  const set = await ctx.db.query.backupSets.findFirst({
    where: and(eq(backupSets.jobId, jobId), eq(backupSets.state, "complete"), lte(backupSets.startedAt, at)),
    orderBy: desc(backupSets.startedAt),
  });
  if (!set)
    throw new AppError(
      "not_found",
      `Job ${jobId} has no complete backup set started at or before ${at.toISOString()}`,
    );
  return set;
}

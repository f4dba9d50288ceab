import { and, eq, inArray, isNotNull, lte, ne, notInArray } from "drizzle-orm";
import { backupSets, mediaSets, pools, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { dropSetEntries } from "../catalog/drop-set-entries.ts";
import { moveTapeState } from "../tapes/move-tape-state.ts";
import { lifecycleEvent } from "./lifecycle-event.ts";

/** Media sets one tick expires at most; the next tick takes the rest. */
const PER_TICK = 20;

/**
 * On the scheduler tick: every closed media set whose retention is over expires, unless a set
 * that is still retained is built on one of its sets (an incremental chain reaching into it);
 * then it waits, and says so. An expired media set's backup sets stay as history (job, when,
 * which tapes) without their file entries; its tapes become expired, ready for the reuse check.
 */
export async function expireMediaSets(ctx: ServiceCtx): Promise<{ expired: number[]; held: number[] }> {
  const now = ctx.now();
  const due = await ctx.db.query.mediaSets.findMany({
    where: and(eq(mediaSets.state, "closed"), isNotNull(mediaSets.expiresAt), lte(mediaSets.expiresAt, now)),
    orderBy: (m, { asc }) => asc(m.id),
    limit: PER_TICK,
  });
  const expired: number[] = [];
  const held: number[] = [];
  for (const set of due) {
    const pool = await ctx.db.query.pools.findFirst({ where: eq(pools.id, set.poolId) });
    const members = await ctx.db.query.backupSets.findMany({ where: eq(backupSets.mediaSetId, set.id) });
    const ids = members.map((m) => m.id);
    const dependent =
      ids.length === 0
        ? undefined
        : await ctx.db.query.backupSets.findFirst({
            where: and(
              inArray(backupSets.baseSetId, ids),
              notInArray(backupSets.id, ids),
              ne(backupSets.state, "expired"),
            ),
          });
    // A set still being written (a run that started before the close) keeps its media set.
    if (dependent || members.some((m) => m.state === "writing")) {
      held.push(set.id);
      continue;
    }
    const moved = await ctx.db
      .update(mediaSets)
      .set({ state: "expired", expiredAt: now })
      .where(and(eq(mediaSets.id, set.id), eq(mediaSets.state, "closed")))
      .returning({ id: mediaSets.id });
    if (moved.length === 0) continue;
    let entries = 0;
    for (const member of members) {
      await ctx.db.update(backupSets).set({ state: "expired" }).where(eq(backupSets.id, member.id));
      entries += (await dropSetEntries(ctx, member.id)).entries;
    }
    await lifecycleEvent(ctx, {
      action: "media-set.expire",
      target: `media-set:${set.id}`,
      text: `Media set #${set.id} of pool ${pool?.name ?? set.poolId} expired (retained until ${set.expiresAt?.toISOString()}); its ${members.length} backup set(s) stay as history, their ${entries} file entries were dropped`,
      details: { sets: ids, entries },
    });
    const setTapes = await ctx.db.query.tapes.findMany({ where: eq(tapes.mediaSetId, set.id) });
    for (const tape of setTapes)
      await moveTapeState(
        ctx,
        tape.id,
        ["active", "full"],
        "expired",
        `the retention of its media set #${set.id} is over`,
      );
    expired.push(set.id);
  }
  return { expired, held };
}

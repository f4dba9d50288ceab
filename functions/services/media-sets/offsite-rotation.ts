import { and, eq, inArray, isNotNull, ne } from "drizzle-orm";
import { backupSets, mediaSets, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";

const DAY_MS = 24 * 3600_000;
/** States of a tape that is out of the library by the operator's word. */
export const AWAY_STATES = ["offsite", "exported"] as const;

export type RotationItem = {
  direction: "out" | "back";
  mediaSetId: number;
  poolId: number;
  pool: string;
  /** The tapes to carry, by barcode. */
  barcodes: string[];
  /** Why, in words: "closed on …", "its retention ended", "offsite for 28 days". */
  why: string;
  /** The attention strip's words. */
  text: string;
};

/**
 * What the pools' offsite rotation asks of the operator now: closed media sets whose tapes should
 * leave the library (every closed set, or those holding a full backup), and media sets offsite
 * that should come back (their retention ended, or the pool's days away have passed). A set
 * that was out once and came back is not asked out again.
 */
export async function offsiteRotation(ctx: ServiceCtx): Promise<RotationItem[]> {
  const now = ctx.now();
  const poolRows = await ctx.db.query.pools.findMany({ limit: 500 });
  const byId = new Map(poolRows.map((p) => [p.id, p]));
  const rotating = poolRows.filter((p) => p.offsiteRotation !== "none").map((p) => p.id);
  const candidates = await ctx.db.query.mediaSets.findMany({
    where: and(
      ne(mediaSets.state, "open"),
      // Out: closed sets of rotating pools never sent yet; back: any set with tapes away.
      rotating.length > 0 ? undefined : isNotNull(mediaSets.offsiteAt),
    ),
    orderBy: (m, { asc }) => asc(m.id),
    limit: 2000,
  });
  if (candidates.length === 0) return [];
  const members = await ctx.db
    .select({
      id: tapes.id,
      barcode: tapes.barcode,
      state: tapes.state,
      mediaSetId: tapes.mediaSetId,
      location: tapes.location,
    })
    .from(tapes)
    .where(
      inArray(
        tapes.mediaSetId,
        candidates.map((c) => c.id),
      ),
    );
  const withFull = new Set(
    (
      await ctx.db
        .selectDistinct({ mediaSetId: backupSets.mediaSetId })
        .from(backupSets)
        .where(
          and(
            eq(backupSets.backupType, "full"),
            inArray(
              backupSets.mediaSetId,
              candidates.map((c) => c.id),
            ),
          ),
        )
    ).map((r) => r.mediaSetId),
  );
  const items: RotationItem[] = [];
  for (const set of candidates) {
    const pool = byId.get(set.poolId);
    if (!pool) continue;
    const own = members.filter((t) => t.mediaSetId === set.id);
    const away = own.filter((t) => (AWAY_STATES as readonly string[]).includes(t.state));
    const home = own.filter((t) => !(AWAY_STATES as readonly string[]).includes(t.state));
    const label = `media set #${set.id} of pool ${pool.name}`;
    const wanted =
      pool.offsiteRotation === "closed" ||
      (pool.offsiteRotation === "closed-with-full" && withFull.has(set.id));
    if (wanted && set.state === "closed" && set.offsiteAt === null && home.length > 0) {
      const why = `closed on ${set.closedAt?.toISOString().slice(0, 10) ?? "?"}`;
      const barcodes = home.map((t) => t.barcode);
      items.push({
        direction: "out",
        mediaSetId: set.id,
        poolId: pool.id,
        pool: pool.name,
        barcodes,
        why,
        text: `Take ${label} offsite (${barcodes.join(", ")}): it was ${why}`,
      });
    }
    // Exported tapes left for good: only offsite ones are asked back.
    const vaulted = away.filter((t) => t.state === "offsite");
    if (vaulted.length === 0) continue;
    const daysAway = set.offsiteAt ? Math.floor((now.getTime() - set.offsiteAt.getTime()) / DAY_MS) : 0;
    const why =
      set.state === "expired"
        ? "its retention ended, so its tapes can be reused"
        : pool.offsiteReturnDays && set.offsiteAt && daysAway >= pool.offsiteReturnDays
          ? `it has been offsite ${daysAway} days (the pool asks back after ${pool.offsiteReturnDays})`
          : null;
    if (!why) continue;
    const barcodes = vaulted.map((t) => t.barcode);
    const from = vaulted[0]?.location ? ` from ${vaulted[0].location}` : "";
    items.push({
      direction: "back",
      mediaSetId: set.id,
      poolId: pool.id,
      pool: pool.name,
      barcodes,
      why,
      text: `Bring back ${label} (${barcodes.join(", ")})${from}: ${why}`,
    });
  }
  return items;
}

import { asc } from "drizzle-orm";
import { pools, sites, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { offsiteRotation } from "../media-sets/offsite-rotation.ts";
import { type SiteFilter, siteWhere } from "../sites/site-scope.ts";
import { shownCapacity } from "../tapes/native-capacity.ts";
import { describePolicy } from "./pool-policy.ts";

/**
 * Every pool the caller may see (of the site asked for) with its tapes and how full they are, and
 * the site it is bound to: the pools page in one read.
 */
export async function listPoolOverview(ctx: ServiceCtx, filter: SiteFilter = {}) {
  const [poolRows, tapeRows, rotation, siteRows] = await Promise.all([
    ctx.db.query.pools.findMany({
      where: siteWhere(ctx, { column: pools.siteId }, filter.site),
      orderBy: asc(pools.name),
      limit: 500,
    }),
    ctx.db
      .select({
        id: tapes.id,
        poolId: tapes.poolId,
        barcode: tapes.barcode,
        state: tapes.state,
        usedBytes: tapes.usedBytes,
        capacityBytes: tapes.capacityBytes,
        generation: tapes.generation,
        lastWrittenAt: tapes.lastWrittenAt,
        mediaSetId: tapes.mediaSetId,
        location: tapes.location,
      })
      .from(tapes)
      .orderBy(asc(tapes.barcode))
      .limit(5000),
    offsiteRotation(ctx),
    ctx.db.select({ id: sites.id, name: sites.name }).from(sites).limit(1000),
  ]);
  const siteName = new Map(siteRows.map((s) => [s.id, s.name]));
  return poolRows.map((pool) => {
    const inPool = tapeRows
      .filter((t) => t.poolId === pool.id)
      .map(({ generation, ...t }) => ({ ...t, ...shownCapacity({ ...t, generation }) }));
    return {
      ...pool,
      policyWords: describePolicy(pool),
      site:
        pool.siteId === null
          ? null
          : { id: pool.siteId, name: siteName.get(pool.siteId) ?? `#${pool.siteId}` },
      tapes: inPool,
      /** What the offsite rotation asks of this pool now: media sets to take out or bring back. */
      rotation: rotation.filter((r) => r.poolId === pool.id),
      usedBytes: inPool.reduce((n, t) => n + t.usedBytes, 0),
      capacityBytes: inPool.reduce((n, t) => n + (t.capacityBytes ?? 0), 0),
      /** Whether a tape's capacity in it is its LTO generation's published figure, not its own. */
      capacityNominal: inPool.some((t) => t.capacityNominal),
      /** Tapes whose capacity is not known at all (no report, no generation): said beside it. */
      tapesOfUnknownCapacity: inPool.filter((t) => !t.capacityBytes).length,
    };
  });
}

export type PoolOverview = Awaited<ReturnType<typeof listPoolOverview>>[number];

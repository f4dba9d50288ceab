import { eq, inArray } from "drizzle-orm";
import { encryptionKeys, jobs, pools, sites, sources } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";

/** A job whose host moves: it now runs at the new site, and what of it stays at another. */
export interface MovingJob {
  id: number;
  name: string;
  schedule: string | null;
  /** In operator words: the pool or key bound to another site than the host's new one. */
  warnings: string[];
}

/**
 * The jobs over the sources of an agent, which follow it to `toSiteId` (a job is where its
 * source's agent is), each with what it still has at another site: a pool bound elsewhere (its
 * tapes are there) or an encryption key bound elsewhere (another site's key).
 */
export async function jobsMovingWith(ctx: ServiceCtx, agentId: string, toSiteId: number) {
  const rows = await ctx.db
    .select({
      id: jobs.id,
      name: jobs.name,
      schedule: jobs.schedule,
      encryption: jobs.encryption,
      jobKeyId: jobs.encryptionKeyId,
      poolName: pools.name,
      poolSiteId: pools.siteId,
      poolKeyId: pools.encryptionKeyId,
    })
    .from(jobs)
    .innerJoin(sources, eq(sources.id, jobs.sourceId))
    .leftJoin(pools, eq(pools.id, jobs.poolId))
    .where(eq(sources.agentId, agentId))
    .orderBy(jobs.id);
  const keyIds = [...new Set(rows.flatMap((r) => [r.poolKeyId, r.jobKeyId]).filter((k) => k != null))];
  const keys = keyIds.length
    ? await ctx.db
        .select({ id: encryptionKeys.id, name: encryptionKeys.name, siteId: encryptionKeys.siteId })
        .from(encryptionKeys)
        .where(inArray(encryptionKeys.id, keyIds))
    : [];
  const siteName = new Map((await ctx.db.select().from(sites)).map((s) => [s.id, s.name]));
  const elsewhere = (siteId: number | null) => siteId !== null && siteId !== toSiteId;
  return rows.map((r): MovingJob => {
    const warnings: string[] = [];
    if (r.poolName && elsewhere(r.poolSiteId))
      warnings.push(
        `pool ${r.poolName} is bound to site ${siteName.get(r.poolSiteId as number)}: its tapes are there, not at this host's site`,
      );
    const keyId = r.poolKeyId ?? (r.encryption === "aes-256-gcm" ? r.jobKeyId : null);
    const key = keys.find((k) => k.id === keyId);
    if (key && elsewhere(key.siteId))
      warnings.push(
        `key ${key.name} is bound to site ${siteName.get(key.siteId as number)}: choose a key of this host's site for the job, or rotate its pool's key`,
      );
    return { id: r.id, name: r.name, schedule: r.schedule, warnings };
  });
}

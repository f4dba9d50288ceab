import type { ServiceCtx } from "../../deps.ts";
import { listEncryptionKeys } from "../encryption-keys/list-encryption-keys.ts";
import { getPool } from "../pools/get-pool.ts";
import { listPools } from "../pools/list-pools.ts";
import { planPreflight } from "../preflight/plan-preflight.ts";
import { latestRuns } from "../runs/latest-runs.ts";
import { getScheduleZone } from "../settings/get-schedule-zone.ts";
import { getSite } from "../sites/get-site.ts";
import { siteOf } from "../sites/site-of.ts";
import { getSource } from "../sources/get-source.ts";
import { listSources } from "../sources/list-sources.ts";
import { getJob } from "./get-job.ts";

const ALL = { limit: 500 };

/**
 * A job's page in one read: the job, what it reads and writes to, its latest runs, the pre-flight
 * check of a backup job that has a source and a pool, and the edit form's choices, which are what
 * `acting` (the caller at the sites it may act at) may use.
 */
export async function getJobView(ctx: ServiceCtx, acting: ServiceCtx, id: number) {
  const job = await getJob(ctx, id);
  const [source, pool, runs, sources, pools, keys, scheduleZone, siteId] = await Promise.all([
    job.sourceId ? getSource(ctx, job.sourceId) : undefined,
    job.poolId ? getPool(ctx, job.poolId) : undefined,
    latestRuns(ctx, job.id, 50),
    listSources(acting, ALL),
    listPools(acting, ALL),
    listEncryptionKeys(acting),
    getScheduleZone(ctx),
    siteOf(ctx, "job", job.id),
  ]);
  const [site, preflight] = await Promise.all([
    siteId ? getSite(ctx, siteId) : null,
    job.kind === "backup" && job.poolId && job.sourceId ? planPreflight(ctx, job.id) : null,
  ]);
  return {
    job,
    preflight,
    source: source?.name ?? "–",
    pool: pool?.name ?? "–",
    site: site?.name ?? null,
    runs,
    sources: sources.items,
    pools: pools.items,
    keys: keys.items,
    scheduleZone,
  };
}

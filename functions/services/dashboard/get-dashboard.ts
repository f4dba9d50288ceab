import { and, count, desc, eq, gte, inArray, isNotNull, isNull, sql } from "drizzle-orm";
import { agents, drives, jobRuns, jobs, pools, sites, sources, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { toPublicAgent } from "../agents/to-public-agent.ts";
import { needsOperator } from "../attention/needs-operator.ts";
import { drivesBeingCleaned } from "../drives/drives-cleaning.ts";
import { averageRate, liveFigures } from "../runs/run-actions.ts";
import { ACTIVE_RUN_STATES } from "../runs/run-states.ts";
import { type SiteFilter, siteWhere } from "../sites/site-scope.ts";
import { shownCapacity } from "../tapes/native-capacity.ts";
import { driveActivity } from "./drive-activity.ts";

/**
 * Everything the dashboard shows, in one read of the catalog: of one site with `filter.site`, of
 * a site-scoped caller's sites, else of the whole hub; with one row per site either way.
 */
export async function getDashboard(ctx: ServiceCtx, filter: SiteFilter = {}) {
  const now = ctx.now();
  const since = new Date(now.getTime() - 24 * 3600_000);
  const runAt = siteWhere(ctx, { kind: "run", id: jobRuns.id }, filter.site);
  const [
    agentRows,
    driveRows,
    active,
    recent,
    tapeStates,
    poolUse,
    counts,
    tapeUse,
    siteRows,
    attention,
    cleaning,
  ] = await Promise.all([
    ctx.db.query.agents.findMany({
      where: siteWhere(ctx, { column: agents.siteId }, filter.site),
      orderBy: agents.name,
      limit: 100,
    }),
    ctx.db
      .select({ drive: drives, tape: tapes.barcode, siteId: agents.siteId })
      .from(drives)
      .innerJoin(agents, eq(agents.id, drives.agentId))
      .leftJoin(tapes, eq(tapes.id, drives.loadedTapeId))
      .where(siteWhere(ctx, { column: agents.siteId }, filter.site))
      .orderBy(drives.agentId, drives.name)
      .limit(200),
    ctx.db
      .select({ run: jobRuns, job: jobs.name, tape: tapes.barcode })
      .from(jobRuns)
      .innerJoin(jobs, eq(jobs.id, jobRuns.jobId))
      .leftJoin(tapes, eq(tapes.id, jobRuns.currentTapeId))
      .where(and(inArray(jobRuns.state, [...ACTIVE_RUN_STATES]), isNull(jobRuns.finishedAt), runAt))
      .orderBy(jobRuns.id)
      .limit(50),
    ctx.db
      .select({ run: jobRuns, job: jobs.name })
      .from(jobRuns)
      .innerJoin(jobs, eq(jobs.id, jobRuns.jobId))
      .where(and(gte(jobRuns.finishedAt, since), runAt))
      .orderBy(desc(jobRuns.finishedAt))
      .limit(50),
    ctx.db
      .select({ state: tapes.state, n: count() })
      .from(tapes)
      .where(siteWhere(ctx, { column: tapes.siteId }, filter.site))
      .groupBy(tapes.state),
    ctx.db
      .select({
        poolId: pools.id,
        pool: pools.name,
        tapeId: tapes.id,
        barcode: tapes.barcode,
        used: tapes.usedBytes,
        capacityBytes: tapes.capacityBytes,
        generation: tapes.generation,
      })
      .from(pools)
      .leftJoin(tapes, eq(tapes.poolId, pools.id))
      .orderBy(pools.name)
      .limit(5000),
    ctx.db
      .select({
        jobs: sql<number>`(select count(*) from ${jobs})`,
        tapes: sql<number>`(select count(*) from ${tapes})`,
        labelled: sql<number>`(select count(*) from ${tapes} where ${tapes.label} is not null)`,
        sources: sql<number>`(select count(*) from ${sources})`,
        completedRuns: sql<number>`(select count(*) from ${jobRuns} where ${jobRuns.kind} = 'backup' and ${jobRuns.state} like 'completed%')`,
      })
      .from(sql`(select 1)`),
    ctx.db
      .select({
        id: tapes.id,
        barcode: tapes.barcode,
        used: tapes.usedBytes,
        capacityBytes: tapes.capacityBytes,
        generation: tapes.generation,
        pool: pools.name,
      })
      .from(tapes)
      .leftJoin(pools, eq(pools.id, tapes.poolId))
      .where(and(isNotNull(tapes.label), siteWhere(ctx, { column: tapes.siteId }, filter.site)))
      .orderBy(desc(tapes.usedBytes))
      .limit(20),
    ctx.db.query.sites.findMany({
      where: and(isNull(sites.retiredAt), siteWhere(ctx, { column: sites.id }, undefined)),
      orderBy: sites.name,
    }),
    needsOperator(ctx),
    drivesBeingCleaned(ctx),
  ]);
  const c = counts[0] ?? { jobs: 0, tapes: 0, labelled: 0, sources: 0, completedRuns: 0 };
  const runOnDrive = new Map(active.filter((a) => a.run.driveId).map((a) => [a.run.driveId, a.run]));
  const publicAgents = agentRows.map((a) => toPublicAgent(a, now));
  const shownDrives = driveRows.map((d) => {
    const run = runOnDrive.get(d.drive.id);
    return {
      ...d.drive,
      tape: d.tape,
      activity: driveActivity(d.drive, run, cleaning.has(d.drive.id)),
      runId: run?.id ?? null,
      siteId: d.siteId,
    };
  });
  return {
    now,
    site: filter.site ?? null,
    /** One row per site: agents up of all, drives busy of all, what needs an operator there. */
    sites: await siteSummaries(ctx, siteRows, attention),
    agents: publicAgents,
    drives: shownDrives,
    active: active.map((a) => ({
      ...a.run,
      ...liveFigures(a.run, now),
      jobName: a.job,
      tapeBarcode: a.tape,
      driveName: driveRows.find((d) => d.drive.id === a.run.driveId)?.drive.name ?? null,
    })),
    // A finished run's rate is its average over its whole time, not its last report's.
    recent: recent.map((r) => ({ ...r.run, jobName: r.job, rateBytesPerSec: averageRate(r.run) })),
    tapeStates: Object.fromEntries(tapeStates.map((t) => [t.state, t.n])) as Record<string, number>,
    pools: poolTotals(poolUse),
    tapes: tapeUse.map(({ capacityBytes, generation, ...t }) => {
      const shown = shownCapacity({ capacityBytes, generation, barcode: t.barcode });
      return { ...t, capacity: shown.capacityBytes, nominal: shown.capacityNominal };
    }),
    counts: c,
    /** The first steps of a new hub, in order; the dashboard shows them until the first backup ran. */
    setup: [
      { step: "Enroll a drive-agent on the tape host", done: agentRows.length > 0, href: "/agents" },
      { step: "Label a tape into a pool", done: Number(c.labelled) > 0, href: "/tapes" },
      { step: "Add a source (the paths to back up)", done: Number(c.sources) > 0, href: "/sources" },
      { step: "Create a backup job", done: Number(c.jobs) > 0, href: "/jobs/new" },
      { step: "Run it once", done: Number(c.completedRuns) > 0, href: "/jobs" },
    ],
  };
}

/**
 * Each pool's tapes, bytes used and capacity; `nominal` when a tape's capacity in it is its LTO
 * generation's published figure rather than the cartridge's own.
 */
function poolTotals(
  rows: {
    poolId: number;
    pool: string;
    tapeId: number | null;
    barcode: string | null;
    used: number | null;
    capacityBytes: number | null;
    generation: string | null;
  }[],
) {
  const totals = new Map<
    number,
    { name: string; tapes: number; used: number; capacity: number; nominal: boolean }
  >();
  for (const r of rows) {
    const pool = totals.get(r.poolId) ?? { name: r.pool, tapes: 0, used: 0, capacity: 0, nominal: false };
    totals.set(r.poolId, pool);
    if (r.tapeId === null || r.barcode === null) continue;
    const shown = shownCapacity({
      capacityBytes: r.capacityBytes,
      generation: r.generation,
      barcode: r.barcode,
    });
    pool.tapes += 1;
    pool.used += r.used ?? 0;
    pool.capacity += shown.capacityBytes ?? 0;
    pool.nominal ||= shown.capacityNominal;
  }
  return [...totals.values()];
}

/** The per-site rows, counted over every site's agents and drives (not only the filtered one's). */
async function siteSummaries(
  ctx: ServiceCtx,
  siteRows: (typeof sites.$inferSelect)[],
  attention: Awaited<ReturnType<typeof needsOperator>>,
) {
  if (siteRows.length === 0) return [];
  const now = ctx.now();
  const [allAgents, allDrives] = await Promise.all([
    ctx.db.query.agents.findMany({ where: isNotNull(agents.siteId), limit: 1000 }),
    ctx.db
      .select({ state: drives.state, siteId: agents.siteId })
      .from(drives)
      .innerJoin(agents, eq(agents.id, drives.agentId))
      .where(isNotNull(agents.siteId)),
  ]);
  const up = allAgents.map((a) => toPublicAgent(a, now));
  return siteRows.map((s) => {
    const atSite = up.filter((a) => a.siteId === s.id);
    const siteDrives = allDrives.filter((d) => d.siteId === s.id);
    return {
      id: s.id,
      name: s.name,
      timeZone: s.timeZone,
      agentsUp: atSite.filter((a) => a.state === "online").length,
      agentsTotal: atSite.length,
      drivesBusy: siteDrives.filter((d) => d.state === "busy").length,
      drivesTotal: siteDrives.length,
      attention: attention.filter((i) => i.siteId === s.id),
    };
  });
}

export type Dashboard = Awaited<ReturnType<typeof getDashboard>>;

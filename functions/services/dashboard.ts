import { and, count, desc, eq, gte, inArray, isNull, sql, sum } from "drizzle-orm";
import { agents, drives, jobRuns, jobs, pools, tapes } from "../db/schema/index.ts";
import type { ServiceCtx } from "../deps.ts";
import { toPublicAgent } from "./agents/agents.ts";

const ACTIVE = ["queued", "running", "waiting-for-tape", "paused"] as const;

/** Everything the dashboard shows, in one read of the catalog. */
export async function getDashboard(ctx: ServiceCtx) {
  const now = ctx.now();
  const since = new Date(now.getTime() - 24 * 3600_000);
  const [agentRows, driveRows, active, recent, tapeStates, poolUse, counts] = await Promise.all([
    ctx.db.query.agents.findMany({ orderBy: agents.name, limit: 100 }),
    ctx.db
      .select({ drive: drives, tape: tapes.barcode })
      .from(drives)
      .leftJoin(tapes, eq(tapes.id, drives.loadedTapeId))
      .orderBy(drives.agentId, drives.name)
      .limit(200),
    ctx.db
      .select({ run: jobRuns, job: jobs.name, tape: tapes.barcode })
      .from(jobRuns)
      .innerJoin(jobs, eq(jobs.id, jobRuns.jobId))
      .leftJoin(tapes, eq(tapes.id, jobRuns.currentTapeId))
      .where(and(inArray(jobRuns.state, [...ACTIVE]), isNull(jobRuns.finishedAt)))
      .orderBy(jobRuns.id)
      .limit(50),
    ctx.db
      .select({ run: jobRuns, job: jobs.name })
      .from(jobRuns)
      .innerJoin(jobs, eq(jobs.id, jobRuns.jobId))
      .where(gte(jobRuns.finishedAt, since))
      .orderBy(desc(jobRuns.finishedAt))
      .limit(50),
    ctx.db.select({ state: tapes.state, n: count() }).from(tapes).groupBy(tapes.state),
    ctx.db
      .select({
        pool: pools.name,
        tapes: count(tapes.id),
        used: sum(tapes.usedBytes),
        capacity: sum(tapes.capacityBytes),
      })
      .from(pools)
      .leftJoin(tapes, eq(tapes.poolId, pools.id))
      .groupBy(pools.id)
      .orderBy(pools.name),
    ctx.db
      .select({
        jobs: sql<number>`(select count(*) from ${jobs})`,
        tapes: sql<number>`(select count(*) from ${tapes})`,
      })
      .from(sql`(select 1)`),
  ]);
  return {
    now,
    agents: agentRows.map((a) => toPublicAgent(a, now)),
    drives: driveRows.map((d) => ({ ...d.drive, tape: d.tape })),
    active: active.map((a) => ({ ...a.run, jobName: a.job, tapeBarcode: a.tape })),
    recent: recent.map((r) => ({ ...r.run, jobName: r.job })),
    tapeStates: Object.fromEntries(tapeStates.map((t) => [t.state, t.n])) as Record<string, number>,
    pools: poolUse.map((p) => ({
      name: p.pool,
      tapes: p.tapes,
      used: Number(p.used ?? 0),
      capacity: Number(p.capacity ?? 0),
    })),
    counts: counts[0] ?? { jobs: 0, tapes: 0 },
  };
}

export type Dashboard = Awaited<ReturnType<typeof getDashboard>>;

import { and, count, desc, eq, gte, inArray, isNotNull, isNull, sql, sum } from "drizzle-orm";
import { agents, drives, jobRuns, jobs, pools, sources, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { toPublicAgent } from "../agents/to-public-agent.ts";
import { averageRate, liveFigures } from "../runs/run-actions.ts";
import { ACTIVE_RUN_STATES } from "../runs/run-states.ts";
import { driveActivity } from "./drive-activity.ts";

/** Everything the dashboard shows, in one read of the catalog. */
export async function getDashboard(ctx: ServiceCtx) {
  const now = ctx.now();
  const since = new Date(now.getTime() - 24 * 3600_000);
  const [agentRows, driveRows, active, recent, tapeStates, poolUse, counts, tapeUse] = await Promise.all([
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
      .where(and(inArray(jobRuns.state, [...ACTIVE_RUN_STATES]), isNull(jobRuns.finishedAt)))
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
        capacity: tapes.capacityBytes,
        pool: pools.name,
      })
      .from(tapes)
      .leftJoin(pools, eq(pools.id, tapes.poolId))
      .where(isNotNull(tapes.label))
      .orderBy(desc(tapes.usedBytes))
      .limit(20),
  ]);
  const c = counts[0] ?? { jobs: 0, tapes: 0, labelled: 0, sources: 0, completedRuns: 0 };
  const runOnDrive = new Map(active.filter((a) => a.run.driveId).map((a) => [a.run.driveId, a.run]));
  return {
    now,
    agents: agentRows.map((a) => toPublicAgent(a, now)),
    drives: driveRows.map((d) => {
      const run = runOnDrive.get(d.drive.id);
      return { ...d.drive, tape: d.tape, activity: driveActivity(d.drive, run), runId: run?.id ?? null };
    }),
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
    pools: poolUse.map((p) => ({
      name: p.pool,
      tapes: p.tapes,
      used: Number(p.used ?? 0),
      capacity: Number(p.capacity ?? 0),
    })),
    tapes: tapeUse.map((t) => ({ ...t, used: t.used, capacity: t.capacity ?? null })),
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

export type Dashboard = Awaited<ReturnType<typeof getDashboard>>;

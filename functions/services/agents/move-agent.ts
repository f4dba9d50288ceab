import { eq, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { agents, jobs, sites, tapes } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { conflict } from "../../errors.ts";
import { eventInsert } from "../events/record-event.ts";
import { nextRun } from "../jobs/job-input.ts";
import { OPEN_ORDER_STATES } from "../orders/open-order-states.ts";
import { ACTIVE_RUN_STATES } from "../runs/run-states.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { optionalText } from "../shared/input-schemas.ts";
import { activeSite } from "../sites/active-site.ts";
import { scheduleZoneOf } from "../sites/schedule-zone-of.ts";
import { jobsMovingWith } from "./jobs-moving-with.ts";

export const moveAgentInput = z.object({
  toSiteId: z.number().int().positive(),
  note: optionalText(500),
});

/**
 * Carries a tape host to another site (ADR 0017, addendum): its drives and changers go with it
 * (they are where their agent is), the tapes in its drives and library slots move too, each with a
 * tape-move row as a manual move writes, and its jobs now run at the new site (their schedules read
 * in its zone). Refused while a run or an order (label, eject, detect) of the host has not ended: a
 * running backup or a label under way is not disturbed.
 */
export async function moveAgent(
  ctx: ServiceCtx,
  agentId: string,
  input: z.output<typeof moveAgentInput>,
  actor: string,
) {
  const agent = getOrThrow(
    await ctx.db.query.agents.findFirst({ where: eq(agents.id, agentId) }),
    "Agent",
    agentId,
  );
  const to = await activeSite(ctx, input.toSiteId);
  if (agent.siteId === to.id) throw conflict(`${agent.name} is already at site ${to.name}`);
  const from = agent.siteId
    ? ((await ctx.db.query.sites.findFirst({ where: eq(sites.id, agent.siteId) })) ?? null)
    : null;
  await refuseWhileBusy(ctx, agent);
  const inLibrary = sql`(${tapes.driveId} in (select id from drives where agent_id = ${agent.id}) or ${tapes.changerId} in (select id from changers where agent_id = ${agent.id}))`;
  const elsewhere = sql`${inLibrary} and (${tapes.siteId} is null or ${tapes.siteId} <> ${to.id})`;
  const carried = await ctx.db
    .select({ id: tapes.id, barcode: tapes.barcode })
    .from(tapes)
    .where(elsewhere)
    .orderBy(tapes.barcode);
  const movingJobs = await jobsMovingWith(ctx, agent.id, to.id);
  const now = ctx.now();
  const reason = `host ${agent.name} moved to site ${to.name}`;
  const jobList = movingJobs.map((j) => j.name).join(", ");
  const text = `${agent.name} moved from site ${from?.name ?? "(none)"} to site ${to.name} by ${actor}, with ${carried.length} tape(s) of its library${movingJobs.length ? `; these jobs now run against a host at site ${to.name}: ${jobList}` : ""}`;
  const warnings = movingJobs.flatMap((j) => j.warnings.map((w) => `${j.name}: ${w}`));
  const event = (siteId: number | null) =>
    eventInsert(ctx, {
      kind: "agent.moved",
      text,
      action: warnings.length ? warnings.join("; ") : null,
      severity: warnings.length ? "warning" : "info",
      agentId: agent.id,
      siteId,
      href: "/agents",
    });
  // One insert-select, so a library of hundreds of cartridges stays under D1's bound-parameter cap.
  const moveRows: SQL = sql`insert into tape_moves (tape_id, from_site_id, to_site_id, moved_at, actor, note)
    select ${tapes.id}, ${tapes.siteId}, ${to.id}, ${now.getTime()}, ${actor}, ${input.note ? `${reason}: ${input.note}` : reason}
    from ${tapes} where ${elsewhere}`;
  try {
    await ctx.db.batch([
      // Fails the whole batch when a run or order opened since the check above: no window between them.
      ctx.db.run(sql`select json(case when exists (${openWork(agent.id)}) then 'busy' else '{}' end)`),
      ctx.db.run(moveRows),
      ctx.db.update(tapes).set({ siteId: to.id, updatedAt: now }).where(elsewhere),
      ctx.db.update(agents).set({ siteId: to.id, updatedAt: now }).where(eq(agents.id, agent.id)),
      event(to.id),
      ...(from ? [event(from.id)] : []),
    ]);
  } catch (error) {
    await refuseWhileBusy(ctx, agent);
    throw error;
  }
  await rescheduleIn(ctx, movingJobs);
  return {
    agent: { id: agent.id, name: agent.name },
    from: from ? { id: from.id, name: from.name } : null,
    to: { id: to.id, name: to.name },
    tapes: carried,
    jobs: movingJobs.map(({ schedule: _s, ...j }) => j),
  };
}

/** Refuses the move, naming them, while runs or orders (label, eject, detect, inventory) of the host are open. */
async function refuseWhileBusy(ctx: ServiceCtx, agent: { id: string; name: string }) {
  const busy = await ctx.db.all<{ id: string; kind: string; state: string; job: string | null; run: number }>(
    sql`${openWork(agent.id)} order by run desc, id limit 20`,
  );
  if (busy.length === 0) return;
  const named = busy.map((w) =>
    w.run ? `run #${w.id} (${w.job ?? w.kind}, ${w.state})` : `${w.kind} order ${w.id} (${w.state})`,
  );
  throw conflict(
    `${agent.name} has ${named.join(", ")} not ended; ` +
      `let it finish or cancel it, then move the host: a move while it writes would change where its tapes and reports belong`,
  );
}

/**
 * The runs of the host that have not ended (its own, and queued ones of its jobs not yet given to
 * it) and its open orders that are not a run's: one query, so the check and the move's batch agree.
 */
function openWork(agentId: string): SQL {
  const runStates = JSON.stringify(ACTIVE_RUN_STATES);
  const orderStates = JSON.stringify(OPEN_ORDER_STATES);
  return sql`select cast(r.id as text) as id, r.kind, r.state, j.name as job, 1 as run
    from job_runs r left join jobs j on j.id = r.job_id
    where r.state in (select value from json_each(${runStates}))
      and (r.agent_id = ${agentId} or (r.agent_id is null and j.source_id in (select id from sources where agent_id = ${agentId})))
    union all
    select o.id, o.kind, o.state, null, 0 from work_orders o
    where o.agent_id = ${agentId} and o.run_id is null and o.state in (select value from json_each(${orderStates}))`;
}

/** A moved job's next run, read in its new site's zone (22:00 at the new office, not the old). */
async function rescheduleIn(ctx: ServiceCtx, moved: { id: number; schedule: string | null }[]) {
  const scheduled = moved.filter((j) => j.schedule);
  if (scheduled.length === 0) return;
  const first = await ctx.db.query.jobs.findFirst({ where: eq(jobs.id, scheduled[0]?.id as number) });
  const zone = await scheduleZoneOf(ctx, first?.sourceId);
  const now = ctx.now();
  for (const job of scheduled)
    await ctx.db
      .update(jobs)
      .set({ nextRunAt: nextRun(job.schedule as string, now, zone) ?? null })
      .where(eq(jobs.id, job.id));
}

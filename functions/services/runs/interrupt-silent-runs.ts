import { and, eq, inArray, isNotNull, isNull } from "drizzle-orm";
import { agents, backupSets, jobLogs, jobRuns, workOrders } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { eventInsert } from "../events/record-event.ts";
import { runFinishedEvent } from "../events/run-finished-event.ts";
import { planRetry } from "./plan-retry.ts";

/** States of a run an agent is working on: it reports progress every few seconds. */
const ON_AGENT = ["running", "waiting-for-tape", "paused"] as const;

/**
 * A run whose agent has sent neither progress nor a heartbeat for `silenceMs` becomes
 * interrupted, with words naming the agent and when it was last heard from, instead of
 * "running" until the agent comes back. Its order is marked expired; a result the agent posts
 * later is still recorded (finishOrder). Called by every scheduler tick.
 */
export async function interruptSilentRuns(ctx: ServiceCtx, silenceMs: number): Promise<number[]> {
  const now = ctx.now();
  const runs = await ctx.db.query.jobRuns.findMany({
    where: and(inArray(jobRuns.state, [...ON_AGENT]), isNull(jobRuns.finishedAt), isNotNull(jobRuns.agentId)),
    limit: 500,
  });
  const interrupted: number[] = [];
  for (const run of runs) {
    const agent = await ctx.db.query.agents.findFirst({ where: eq(agents.id, run.agentId as string) });
    const heard = Math.max(
      run.progressAt?.getTime() ?? 0,
      run.startedAt?.getTime() ?? 0,
      agent?.lastSeenAt?.getTime() ?? 0,
    );
    if (now.getTime() - heard <= silenceMs) continue;
    const name = agent?.name ?? run.agentId;
    const minutes = Math.round(silenceMs / 60_000);
    const error =
      `Agent ${name} was last heard from at ${new Date(heard).toISOString()} and has sent no progress or heartbeat ` +
      `for more than ${minutes} min, so the run is marked interrupted. Check that the agent is running and can reach ` +
      "the hub; what it wrote to tape is kept, and a result it posts when it is back is still recorded.";
    const claimed = await ctx.db
      .update(jobRuns)
      .set({ state: "interrupted", finishedAt: now, error, control: "continue", operatorMessage: null })
      .where(and(eq(jobRuns.id, run.id), isNull(jobRuns.finishedAt), inArray(jobRuns.state, [...ON_AGENT])))
      .returning();
    const closed = claimed[0];
    if (!closed) continue;
    interrupted.push(run.id);
    const event = await runFinishedEvent(ctx, closed, "interrupted", error);
    await ctx.db.batch([
      ctx.db
        .update(workOrders)
        .set({ state: "expired", finishedAt: now })
        .where(and(eq(workOrders.runId, run.id), inArray(workOrders.state, ["delivered", "acknowledged"]))),
      ctx.db.insert(jobLogs).values({ runId: run.id, at: now, level: "error", message: error, path: null }),
      ...(event ? [eventInsert(ctx, event)] : []),
    ]);
    // Only a backup run owns its set: it is no longer being written as far as the hub knows.
    if (run.setId && run.kind === "backup")
      await ctx.db
        .update(backupSets)
        .set({ state: "incomplete", finishedAt: now })
        .where(and(eq(backupSets.id, run.setId), eq(backupSets.state, "writing")));
    await planRetry(ctx, closed, true);
  }
  return interrupted;
}

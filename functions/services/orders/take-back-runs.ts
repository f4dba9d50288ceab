import { and, eq } from "drizzle-orm";
import { agents, jobRuns } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { eventInsert } from "../events/record-event.ts";
import { runFinishedEvent } from "../events/run-finished-event.ts";

/**
 * A backup run goes back to the queue (the dispatcher picks a drive again). Any other run was
 * planned for one drive and tape, so it fails with words saying nothing was read or written.
 */
export async function takeBackRuns(
  ctx: ServiceCtx,
  orders: { runId: number | null; kind: string; agentId: string }[],
  what: string,
): Promise<void> {
  const now = ctx.now();
  for (const order of orders) {
    if (order.runId === null) continue;
    const open = and(eq(jobRuns.id, order.runId), eq(jobRuns.state, "queued"));
    if (order.kind === "backup") {
      await ctx.db
        .update(jobRuns)
        .set({
          state: "queued",
          agentId: null,
          driveId: null,
          operatorMessage: `The agent ${what} the order in time; queued again`,
        })
        .where(open);
      continue;
    }
    const agent = await ctx.db.query.agents.findFirst({ where: eq(agents.id, order.agentId) });
    const error = `Agent ${agent?.name ?? order.agentId} ${what} the ${order.kind} order in time (is it running and online?). Nothing was read or written; start it again once the agent is back.`;
    const failed = await ctx.db
      .update(jobRuns)
      .set({ state: "failed", finishedAt: now, operatorMessage: null, error })
      .where(open)
      .returning();
    const run = failed[0];
    const event = run ? await runFinishedEvent(ctx, run, "failed", error) : null;
    if (event) await ctx.db.batch([eventInsert(ctx, event)]);
  }
}

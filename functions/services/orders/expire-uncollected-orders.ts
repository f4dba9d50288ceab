import { and, eq, lte } from "drizzle-orm";
import { workOrders } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { takeBackRuns } from "./take-back-runs.ts";

/**
 * Orders no agent collected before they expired (the agent was stopped or cut off): the run
 * must not sit queued for ever. Called by every scheduler tick.
 */
export async function expireUncollectedOrders(ctx: ServiceCtx): Promise<void> {
  const now = ctx.now();
  const expired = await ctx.db
    .update(workOrders)
    .set({ state: "expired", finishedAt: now })
    .where(and(eq(workOrders.state, "pending"), lte(workOrders.expiresAt, now)))
    .returning({ runId: workOrders.runId, kind: workOrders.kind, agentId: workOrders.agentId });
  await takeBackRuns(ctx, expired, "did not collect");
}

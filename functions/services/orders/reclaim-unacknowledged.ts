import { and, eq, lt } from "drizzle-orm";
import { workOrders } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { takeBackRuns } from "./take-back-runs.ts";

/** An order delivered but not acknowledged within this time is taken back and its run requeued. */
export const ACK_TIMEOUT_MS = 120_000;

/** Takes back orders delivered but never acknowledged; once per poll request is enough. */
export async function reclaimUnacknowledged(ctx: ServiceCtx, agentId: string): Promise<void> {
  const cutoff = new Date(ctx.now().getTime() - ACK_TIMEOUT_MS);
  const overdue = and(
    eq(workOrders.agentId, agentId),
    eq(workOrders.state, "delivered"),
    lt(workOrders.deliveredAt, cutoff),
  );
  // A read first: every poll asks, almost never is one overdue, and a read does not wait for the
  // catalog's write lock (a chunk's slice) as an update that changes nothing would.
  const [any] = await ctx.db.select({ id: workOrders.id }).from(workOrders).where(overdue).limit(1);
  if (!any) return;
  const stale = await ctx.db
    .update(workOrders)
    .set({ state: "expired", finishedAt: ctx.now() })
    .where(overdue)
    .returning({ runId: workOrders.runId, kind: workOrders.kind, agentId: workOrders.agentId });
  await takeBackRuns(ctx, stale, "did not acknowledge");
}

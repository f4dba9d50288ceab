import { and, eq, inArray } from "drizzle-orm";
import { backupSets, jobRuns, workOrders } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getRun } from "./get-run.ts";
import { runAllowing } from "./run-allowing.ts";

/**
 * Cancel: a run not yet on an agent ends at once; a running one is asked to stop cleanly (the
 * agent writes a file mark and a TOC of what it wrote and reports the set incomplete).
 */
export async function cancelRun(ctx: ServiceCtx, id: number) {
  const run = await runAllowing(ctx, id, "cancel");
  const now = ctx.now();
  const notStarted = run.state === "queued" && !run.startedAt;
  if (notStarted) {
    await ctx.db.batch([
      ctx.db
        .update(jobRuns)
        .set({ state: "cancelled", finishedAt: now, control: "cancel" })
        .where(eq(jobRuns.id, id)),
      ctx.db
        .update(workOrders)
        .set({ state: "cancelled", finishedAt: now })
        .where(and(eq(workOrders.runId, id), inArray(workOrders.state, ["pending", "delivered"]))),
    ]);
    // Only a backup run owns its set; a restore or verify run merely reads it.
    if (run.setId && run.kind === "backup")
      await ctx.db
        .update(backupSets)
        .set({ state: "failed", finishedAt: now })
        .where(eq(backupSets.id, run.setId));
  } else {
    await ctx.db.update(jobRuns).set({ control: "cancel" }).where(eq(jobRuns.id, id));
  }
  return getRun(ctx, id);
}

import { and, eq, isNotNull } from "drizzle-orm";
import { jobRuns } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { log } from "./auto-retry.ts";

/** Calls off a planned retry that has not been queued yet. */
export async function cancelRetry(ctx: ServiceCtx, runId: number, why: string): Promise<void> {
  const called = await ctx.db
    .update(jobRuns)
    .set({ retryAt: null })
    .where(and(eq(jobRuns.id, runId), isNotNull(jobRuns.retryAt)))
    .returning({ id: jobRuns.id });
  if (called.length > 0) await log(ctx, runId, "info", `automatic retry called off: ${why}`);
}

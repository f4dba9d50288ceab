import { eq } from "drizzle-orm";
import type { RestoreOrderBody, VerifyOrderBody } from "../../../contracts/agent-protocol.ts";
import { jobRuns } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { placeRead } from "../runs/dispatch-reads.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";

type ReadBody = Omit<RestoreOrderBody, "drive" | "runId"> | Omit<VerifyOrderBody, "drive" | "runId">;

/**
 * A restore or verify run that reads from `tapeId` first: queued with its order kept back, then
 * placed at once when a drive reaches the tape and no other run holds it; otherwise it waits,
 * saying for what, and starts when the tape appears (services/runs/dispatch-reads.ts).
 */
export async function queueReadRun(
  ctx: ServiceCtx,
  values: Omit<
    typeof jobRuns.$inferInsert,
    "state" | "agentId" | "driveId" | "currentTapeId" | "pendingOrder"
  >,
  order: {
    tapeId: number;
    body: ReadBody;
    hubOnly: Record<string, unknown>;
    driveId?: number;
    agentId?: string | undefined;
  },
) {
  const [inserted] = await ctx.db
    .insert(jobRuns)
    .values({ ...values, state: "queued", agentId: null, driveId: null, currentTapeId: null })
    .returning();
  const run = getOrThrow(inserted, "Run", "new");
  const instruction = values.operatorMessage ?? undefined;
  const pendingOrder = {
    tapeId: order.tapeId,
    body: { ...order.body, runId: run.id },
    hubOnly: order.hubOnly,
    ...(order.driveId ? { driveId: order.driveId } : {}),
    ...(order.agentId ? { agentId: order.agentId } : {}),
    ...(instruction ? { instruction } : {}),
  };
  const [held] = await ctx.db.update(jobRuns).set({ pendingOrder }).where(eq(jobRuns.id, run.id)).returning();
  await placeRead(ctx, getOrThrow(held, "Run", run.id));
  return getOrThrow(await ctx.db.query.jobRuns.findFirst({ where: eq(jobRuns.id, run.id) }), "Run", run.id);
}

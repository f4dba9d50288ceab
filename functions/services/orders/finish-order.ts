import { and, eq } from "drizzle-orm";
import { OrderResult } from "../../../contracts/agent-protocol.ts";
import { drives, jobRuns, workOrders } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { recordRescan } from "../agents/record-rescan.ts";
import { recordGuestBackups } from "../guests/record-guest-backups.ts";
import { recordInventory } from "../guests/record-inventory.ts";
import { applyLibraryResult } from "../library/apply-library-result.ts";
import { closeRun } from "../runs/close-run.ts";
import { dispatchQueuedRuns } from "../runs/dispatch-runs.ts";
import { queueCatalogAfterBackups } from "../runs/queue-catalog-after-backups.ts";
import { recordLateResult } from "../runs/record-late-result.ts";
import { applyEjectResult } from "../tapes/apply-eject-result.ts";
import { applyLabelResult } from "../tapes/apply-label-result.ts";
import { moveTapeState } from "../tapes/move-tape-state.ts";
import { recordVerifyResult } from "../verifies/record-verify.ts";
import { closeBackupSet } from "./close-backup-set.ts";
import type { OrderRow } from "./order-of.ts";

/**
 * Closes the order, its run and its set. A backup's set is complete only when the agent says so
 * and the catalog reconciles with what it wrote; a backup whose catalog does not is failed, with
 * the tape and the count named.
 */
export async function finishOrder(ctx: ServiceCtx, order: OrderRow, raw: unknown): Promise<void> {
  const result = OrderResult.parse(raw);
  const now = ctx.now();
  await ctx.db
    .update(workOrders)
    .set({ state: result.state.startsWith("completed") ? "done" : "failed", finishedAt: now, result })
    .where(eq(workOrders.id, order.id));
  await freeOrderDrive(ctx, order);
  if (order.kind === "label" && result.state === "completed")
    await applyLabelResult(ctx, order.payload, result);
  // A reuse the agent refused (another label than the one checked) is not tried again and again:
  // the tape goes to error with the agent's words, for an operator to look at.
  if (order.kind === "label" && result.state !== "completed" && order.payload.reuse === true)
    await moveTapeState(
      ctx,
      order.payload.tapeId as number,
      ["expired"],
      "error",
      `its reuse relabel failed: ${result.error ?? result.state}`,
    );
  if (order.kind === "eject" && result.state === "completed") await applyEjectResult(ctx, order.payload);
  if (order.kind === "detect") await recordRescan(ctx, order, result);
  if (order.kind === "library") await applyLibraryResult(ctx, order.payload, result.library, result.state);
  if (order.kind === "discover") {
    const sourceId = (order.payload as { pve?: { sourceId?: unknown } }).pve?.sourceId;
    if (typeof sourceId === "number") await recordInventory(ctx, sourceId, result);
  }
  if (!order.runId) return dispatchQueuedRuns(ctx);
  const run = await ctx.db.query.jobRuns.findFirst({ where: eq(jobRuns.id, order.runId) });
  if (!run) return;
  // The hub gave up on a silent agent (the order expired); what the agent says now is kept.
  const late = run.finishedAt !== null;
  if (late && (order.state !== "expired" || run.state !== "interrupted")) return;
  const closing =
    run.setId && run.kind === "backup" ? await closeBackupSet(ctx, run.id, run.setId, result) : null;
  if (run.setId && run.kind === "backup" && result.guests)
    await recordGuestBackups(ctx, run, run.setId, result.guests);
  // A backup whose catalog does not hold what it wrote failed, whatever the agent saw.
  const outcome =
    closing?.problem && result.state.startsWith("completed")
      ? { ...result, state: "failed" as const, error: closing.problem, retryable: false }
      : result;
  if (late) await recordLateResult(ctx, run, outcome);
  else await closeRun(ctx, run, outcome);
  if (run.setId && run.kind === "verify") await recordVerifyResult(ctx, run.setId, result);
  if (run.kind === "backup" && !late) await queueCatalogAfterBackups(ctx);
  await dispatchQueuedRuns(ctx);
}

/**
 * The agent answers an order once it is done with the order's drive, so the drive is free from
 * now, not from the agent's next heartbeat: an operator who exports or labels right after a run
 * ends is not told the drive is busy. The agent runs one order per drive at a time, and an order
 * queued behind this one is an open order, which the busy check sees (drive-busy.ts).
 */
async function freeOrderDrive(ctx: ServiceCtx, order: OrderRow): Promise<void> {
  const devicePath = (order.payload as { drive?: { devicePath?: unknown } }).drive?.devicePath;
  if (!order.agentId || typeof devicePath !== "string") return;
  await ctx.db
    .update(drives)
    .set({ state: "idle" })
    .where(
      and(eq(drives.agentId, order.agentId), eq(drives.devicePath, devicePath), eq(drives.state, "busy")),
    );
}

import type { ServiceCtx } from "../../deps.ts";
import { conflict } from "../../errors.ts";
import { startVerify } from "../verifies/start-verify.ts";
import { getRun } from "./get-run.ts";
import { queueRun } from "./queue-run.ts";

/** A failed, interrupted or cancelled run is retried as a new run of the same job. */
export async function retryRun(ctx: ServiceCtx, id: number, triggeredBy: string) {
  const run = await getRun(ctx, id);
  if (!["failed", "interrupted", "cancelled"].includes(run.state) || !run.finishedAt) {
    throw conflict(`Run ${id} is ${run.state}; only failed, interrupted or cancelled runs can be retried`);
  }
  // A verify is retried on the same set (its job may be the backup job the set came from).
  if (run.kind === "verify" && run.setId)
    return (await startVerify(ctx, run.setId, triggeredBy, { jobId: run.jobId, retryOf: run.id })).run;
  // A restore, scan or label was planned for the drives and tapes of its moment: plan it anew.
  if (run.kind !== "backup")
    throw conflict(
      `Run ${id} is a ${run.kind}; start it again from where it was started (the ${run.kind === "restore" ? "Restore page" : "tape or agent page"}), so it is planned for where the tapes are now`,
    );
  return queueRun(ctx, run.jobId, triggeredBy, run.id);
}

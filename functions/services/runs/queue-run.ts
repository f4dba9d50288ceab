import { and, eq, inArray } from "drizzle-orm";
import { type BACKUP_TYPES, jobRuns } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError, conflict } from "../../errors.ts";
import { getJob } from "../jobs/get-job.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { nextSetToVerify } from "../verifies/next-set-to-verify.ts";
import { startVerify } from "../verifies/start-verify.ts";
import { baseSetFor } from "./base-set.ts";
import { dispatchQueuedRuns } from "./dispatch-runs.ts";
import { ACTIVE_RUN_STATES } from "./run-states.ts";

/**
 * Queues a run of a job: a backup job's run waits for a drive and a tape of its pool; a verify
 * job's run is a verify of the pool's set whose last verification is oldest.
 */
export async function queueRun(
  ctx: ServiceCtx,
  jobId: number,
  triggeredBy: string,
  retryOf: number | null = null,
  /** The type this run is (a scheduled weekly full of an incremental job); default the job's. */
  backupType?: (typeof BACKUP_TYPES)[number],
) {
  const job = await getJob(ctx, jobId);
  if (job.kind === "verify") {
    if (!job.poolId) throw new AppError("validation_failed", `Verify job ${job.name} has no pool`);
    await refuseSecondRun(ctx, job);
    const set = await nextSetToVerify(ctx, job.poolId);
    const { run } = await startVerify(ctx, set.id, triggeredBy, { jobId: job.id, retryOf });
    return run;
  }
  if ((!job.sourceId && job.kind !== "catalog") || !job.poolId)
    throw new AppError("validation_failed", `Job ${job.name} has no source or pool`);
  await refuseSecondRun(ctx, job);
  const wanted = backupType ?? job.backupType;
  const base = await baseSetFor(ctx, jobId, wanted);
  const [run] = await ctx.db
    .insert(jobRuns)
    .values({
      jobId,
      kind: "backup",
      state: "queued",
      // An incremental with nothing to build on becomes a full, as an operator would expect.
      backupType: base && job.kind === "backup" ? wanted : "full",
      triggeredBy,
      retryOf,
      queuedAt: ctx.now(),
    })
    .returning();
  await dispatchQueuedRuns(ctx);
  return getOrThrow(
    await ctx.db.query.jobRuns.findFirst({ where: eq(jobRuns.id, getOrThrow(run, "Run", jobId).id) }),
    "Run",
    jobId,
  );
}

async function refuseSecondRun(ctx: ServiceCtx, job: { id: number; name: string }): Promise<void> {
  const active = await ctx.db.query.jobRuns.findFirst({
    where: and(eq(jobRuns.jobId, job.id), inArray(jobRuns.state, [...ACTIVE_RUN_STATES])),
  });
  if (active)
    throw conflict(
      `Job ${job.name} already has run ${active.id} (${active.state}); cancel it or wait for it`,
    );
}

import { and, desc, eq, inArray } from "drizzle-orm";
import { backupSets, jobRuns } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError, conflict } from "../../errors.ts";
import { getJob } from "../jobs.ts";
import { getOrThrow } from "../shared.ts";
import { dispatchQueuedRuns } from "./dispatch-runs.ts";

export const ACTIVE_RUN_STATES = ["queued", "running", "waiting-for-tape", "paused"] as const;

/** Queues a run of a backup job and tries to hand it to an agent at once. */
export async function queueRun(
  ctx: ServiceCtx,
  jobId: number,
  triggeredBy: string,
  retryOf: number | null = null,
) {
  const job = await getJob(ctx, jobId);
  if (!job.sourceId || !job.poolId)
    throw new AppError("validation_failed", `Job ${job.name} has no source or pool`);
  const active = await ctx.db.query.jobRuns.findFirst({
    where: and(eq(jobRuns.jobId, jobId), inArray(jobRuns.state, [...ACTIVE_RUN_STATES])),
  });
  if (active)
    throw conflict(
      `Job ${job.name} already has run ${active.id} (${active.state}); cancel it or wait for it`,
    );
  const base =
    job.backupType === "incremental"
      ? await ctx.db.query.backupSets.findFirst({
          where: and(eq(backupSets.jobId, jobId), eq(backupSets.state, "complete")),
          orderBy: desc(backupSets.startedAt),
        })
      : undefined;
  const [run] = await ctx.db
    .insert(jobRuns)
    .values({
      jobId,
      kind: "backup",
      state: "queued",
      // An incremental with nothing to build on becomes a full, as an operator would expect.
      backupType: base ? "incremental" : "full",
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

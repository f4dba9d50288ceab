import { eq } from "drizzle-orm";
import type { z } from "zod";
import { jobs } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { scheduleZoneOf } from "../sites/schedule-zone-of.ts";
import { getJob } from "./get-job.ts";
import {
  AFTER_BACKUPS_ONLY_CATALOG,
  afterBackupsWhenCatalog,
  checkReferences,
  keyWhenEncrypted,
  nextRun,
  sourceWhenBackup,
  type updateJobInput,
} from "./job-input.ts";

export async function updateJob(ctx: ServiceCtx, id: number, input: z.output<typeof updateJobInput>) {
  const job = await getJob(ctx, id);
  await checkReferences(ctx, {
    poolId: input.poolId,
    sourceId: input.sourceId ?? job.sourceId,
    guests: input.guests === undefined ? job.guests : input.guests,
    encryption: input.encryption ?? job.encryption,
    encryptionKeyId: input.encryptionKeyId === undefined ? job.encryptionKeyId : input.encryptionKeyId,
  });
  if (!keyWhenEncrypted({ ...job, ...input })) {
    throw new AppError("validation_failed", "An encrypted job needs an encryptionKeyId");
  }
  if (!sourceWhenBackup({ ...job, ...input }))
    throw new AppError("validation_failed", "A backup job needs a sourceId");
  if (!afterBackupsWhenCatalog({ ...job, ...input }))
    throw new AppError("validation_failed", AFTER_BACKUPS_ONLY_CATALOG);
  const now = ctx.now();
  const scheduleChange =
    input.schedule === undefined
      ? {}
      : {
          nextRunAt: input.schedule
            ? (nextRun(input.schedule, now, await scheduleZoneOf(ctx, input.sourceId ?? job.sourceId)) ??
              null)
            : null,
        };
  const [row] = await ctx.db
    .update(jobs)
    .set({ ...input, ...scheduleChange, updatedAt: now })
    .where(eq(jobs.id, id))
    .returning();
  return getOrThrow(row, "Job", id);
}

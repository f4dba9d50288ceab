import type { z } from "zod";
import { jobs } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getJobDefaults } from "../settings/get-job-defaults.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";
import { scheduleZoneOf } from "../sites/schedule-zone-of.ts";
import { checkReferences, type createJobInput, nextRun } from "./job-input.ts";

export async function createJob(ctx: ServiceCtx, input: z.output<typeof createJobInput>) {
  await checkReferences(ctx, input);
  const now = ctx.now();
  const [row] = await ctx.db
    .insert(jobs)
    .values({
      ...input,
      compression: input.compression ?? (await getJobDefaults(ctx)).compression,
      // A verify job reads what the pool holds: it has no source of its own.
      sourceId: input.kind === "backup" ? input.sourceId : null,
      guests: input.kind === "backup" ? (input.guests ?? null) : null,
      nextRunAt: input.schedule
        ? (nextRun(input.schedule, now, await scheduleZoneOf(ctx, input.sourceId)) ?? null)
        : null,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  return getOrThrow(row, "Job", input.name);
}

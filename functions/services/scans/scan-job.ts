import { eq } from "drizzle-orm";
import { jobs } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";

/** Runs must belong to a job: scans belong to this one, disabled, with no source or pool. */
export const SCAN_JOB_NAME = "Tape scans";

/** The job scan runs hang on (created on first use; a second hub instance racing it finds it). */
export async function scanJob(ctx: ServiceCtx) {
  const now = ctx.now();
  await ctx.db
    .insert(jobs)
    .values({ name: SCAN_JOB_NAME, kind: "backup", enabled: false, createdAt: now, updatedAt: now })
    .onConflictDoNothing();
  return getOrThrow(
    await ctx.db.query.jobs.findFirst({ where: eq(jobs.name, SCAN_JOB_NAME) }),
    "Job",
    SCAN_JOB_NAME,
  );
}

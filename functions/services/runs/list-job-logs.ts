import { and, desc, eq, inArray, lt, or, sql } from "drizzle-orm";
import { z } from "zod";
import { jobLogs, jobRuns, jobs } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { type PageRequest, toPage } from "../shared/pagination.ts";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

export const jobLogFilter = z.object({
  jobId: z.coerce.number().int().positive().optional(),
  runId: z.coerce.number().int().positive().optional(),
  /** The least level shown: "warn" shows warnings and errors. */
  level: z.enum(LOG_LEVELS).optional(),
  /** Part of the message or file path, as typed (no wildcards). */
  q: z.string().trim().min(1).max(200).optional(),
});
export type JobLogFilter = z.output<typeof jobLogFilter>;

/** `%`, `_` and `\` match themselves: the operator searches for text, not a pattern. */
const likeText = (q: string) => `%${q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;

/** Log lines of every run, newest first, with their run's job; keyset-paged on the line id. */
export async function listJobLogs(ctx: ServiceCtx, page: PageRequest, filter: JobLogFilter) {
  const pattern = filter.q ? likeText(filter.q) : undefined;
  const rows = await ctx.db
    .select({
      id: jobLogs.id,
      at: jobLogs.at,
      level: jobLogs.level,
      message: jobLogs.message,
      path: jobLogs.path,
      runId: jobLogs.runId,
      runKind: jobRuns.kind,
      jobId: jobRuns.jobId,
      jobName: jobs.name,
    })
    .from(jobLogs)
    .innerJoin(jobRuns, eq(jobRuns.id, jobLogs.runId))
    .innerJoin(jobs, eq(jobs.id, jobRuns.jobId))
    .where(
      and(
        page.cursor === undefined ? undefined : lt(jobLogs.id, page.cursor),
        filter.runId ? eq(jobLogs.runId, filter.runId) : undefined,
        filter.jobId ? eq(jobRuns.jobId, filter.jobId) : undefined,
        filter.level ? inArray(jobLogs.level, LOG_LEVELS.slice(LOG_LEVELS.indexOf(filter.level))) : undefined,
        pattern
          ? or(
              sql`${jobLogs.message} LIKE ${pattern} ESCAPE '\\'`,
              sql`${jobLogs.path} LIKE ${pattern} ESCAPE '\\'`,
            )
          : undefined,
      ),
    )
    .orderBy(desc(jobLogs.id))
    .limit(page.limit + 1);
  return toPage(rows, page);
}

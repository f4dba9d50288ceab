import { and, asc, eq, gt } from "drizzle-orm";
import { jobLogs } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getRun } from "./get-run.ts";

export async function runLogs(ctx: ServiceCtx, id: number, after: number | undefined, limit: number) {
  await getRun(ctx, id);
  const items = await ctx.db.query.jobLogs.findMany({
    where: and(eq(jobLogs.runId, id), after === undefined ? undefined : gt(jobLogs.id, after)),
    orderBy: asc(jobLogs.id),
    limit,
  });
  return { items, nextCursor: items.length === limit ? (items.at(-1)?.id ?? null) : null };
}

import { and, eq, or, sql } from "drizzle-orm";
import { RestoreFileResults } from "../../../contracts/agent-protocol.ts";
import { jsonParts } from "../../db/limits.ts";
import { jobLogs, jobRuns } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { type LogRow, logInserts } from "./log-inserts.ts";
import type { OrderRow } from "./order-of.ts";

/** Per-file outcomes of a restore, kept as the run's log lines (failures as errors). */
export async function recordRestoreFiles(ctx: ServiceCtx, order: OrderRow, raw: unknown): Promise<void> {
  const { files } = RestoreFileResults.parse(raw);
  if (!order.runId) return;
  const runId = order.runId;
  // Batches are re-sent until the hub answers; a path already reported for this run is not logged twice.
  const paths = jsonParts(files.map((f) => f.path)).map(
    (json) => sql`${jobLogs.path} in (select value from json_each(${json}))`,
  );
  const known = await ctx.db
    .select({ path: jobLogs.path })
    .from(jobLogs)
    .where(and(eq(jobLogs.runId, runId), or(...paths)));
  const seen = new Set(known.map((k) => k.path));
  const fresh = files.filter((f) => !seen.has(f.path));
  if (fresh.length === 0) return;
  const at = ctx.now().getTime();
  const failed = fresh.filter((f) => f.outcome === "failed").length;
  await ctx.db.batch([
    ctx.db
      .update(jobRuns)
      .set({ warnings: sql`${jobRuns.warnings} + ${failed}` })
      .where(eq(jobRuns.id, runId)),
    ...logInserts(
      ctx,
      runId,
      fresh.map(
        (f): LogRow => [
          at,
          f.outcome === "failed" ? "error" : "info",
          f.outcome === "failed"
            ? `restore failed: ${f.error ?? "unknown error"}`
            : f.outcome === "renamed"
              ? `restored as ${f.writtenTo}`
              : f.outcome,
          f.path,
        ],
      ),
    ),
  ]);
}

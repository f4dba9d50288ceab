import type { OrderResult } from "../../../contracts/agent-protocol.ts";
import type { jobRuns } from "../../db/schema/index.ts";

export type RunRow = typeof jobRuns.$inferSelect;

export type Result = ReturnType<typeof OrderResult.parse>;

/**
 * The figures the result says were done. On completion they are also the totals: the progress
 * estimate gives way to what went to tape (or was restored), never more than happened.
 */
export function finalFigures(result: Result): Partial<typeof jobRuns.$inferInsert> {
  const { files, sourceBytes } = result.summary;
  const completed = result.state.startsWith("completed");
  const figures: Partial<typeof jobRuns.$inferInsert> = result.streaming
    ? { streaming: result.streaming }
    : {};
  if (files !== undefined) {
    figures.filesDone = files;
    if (completed) figures.filesTotal = files;
  }
  if (sourceBytes !== undefined) {
    figures.bytesDone = sourceBytes;
    if (completed) figures.bytesTotal = sourceBytes;
  }
  if (completed) {
    figures.etaSeconds = 0;
    if (files !== undefined && sourceBytes !== undefined) figures.totalsEstimated = false;
  }
  return figures;
}

export function stateOf(run: RunRow, result: Result): RunRow["state"] {
  const warned = result.state === "completed" && (run.warnings > 0 || (result.summary.warnings ?? 0) > 0);
  return warned ? "completed-with-warnings" : result.state;
}

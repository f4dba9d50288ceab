import type { BackupOrderBody } from "../../../contracts/agent-protocol.ts";
import { checkSourceRoots, SourceRootError, sourceHasFiles } from "../../pipeline/walk-source.ts";

/**
 * Why the order's source cannot be backed up, before the tape is touched, or null: a root that is
 * missing or unreadable, or (unless the job allows it) a source without one file to back up.
 */
export async function sourceProblem(
  order: BackupOrderBody,
  onWarning: (message: string, path: string) => void,
): Promise<{ error: string; lines: { message: string; path: string | null }[] } | null> {
  const problems = await checkSourceRoots(order.source.paths);
  if (problems.length > 0)
    return {
      error: new SourceRootError(problems).message,
      lines: problems.map((p) => ({
        message: `source path ${p.problem}: nothing was backed up; check the job's source and that the share is mounted`,
        path: p.path,
      })),
    };
  if (order.allowEmpty) return null;
  const found = await sourceHasFiles({
    paths: order.source.paths,
    include: order.source.include,
    exclude: order.source.exclude,
    onWarning,
  });
  if (found) return null;
  const error = emptySourceWords(order);
  return { error, lines: [{ message: error, path: null }] };
}

/** The words for a source with nothing to back up: what was found, and the three ways out. */
export function emptySourceWords(order: BackupOrderBody): string {
  const patterns = order.source.include.length + order.source.exclude.length > 0;
  return (
    `the source (${order.source.paths.join(", ")}) holds no file to back up${patterns ? " after its include/exclude patterns" : ""}; nothing was written. ` +
    `If it is a mount, check that it is mounted on the agent's host${patterns ? "; check the patterns" : ""}; ` +
    `if an empty source is expected, allow empty runs in job ${order.job.name}'s settings.`
  );
}

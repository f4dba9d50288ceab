import { and, desc, eq } from "drizzle-orm";
import type { BACKUP_TYPES } from "../../db/schema/index.ts";
import { backupSets } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";

/**
 * The set a run of this type compares with: an incremental with the job's last complete set (of
 * any type), a differential with its last complete full. Undefined for a full, or when there is
 * nothing to build on (the run is then a full, as an operator would expect).
 */
export async function baseSetFor(ctx: ServiceCtx, jobId: number, backupType: (typeof BACKUP_TYPES)[number]) {
  if (backupType === "full") return undefined;
  return ctx.db.query.backupSets.findFirst({
    where: and(
      eq(backupSets.jobId, jobId),
      eq(backupSets.state, "complete"),
      backupType === "differential" ? eq(backupSets.backupType, "full") : undefined,
    ),
    orderBy: desc(backupSets.startedAt),
  });
}

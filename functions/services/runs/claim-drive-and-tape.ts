import { and, eq, isNull, sql } from "drizzle-orm";
import { jobRuns } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";

/**
 * The reservation (docs/adr/0010): a queued run takes the drive and the tape in one statement,
 * only while no other unfinished run holds either, so two orders never fight over one cartridge
 * or one drive. Backups and the restores and verifies that waited for their tape use it alike.
 */
export async function claimDriveAndTape(
  ctx: ServiceCtx,
  runId: number,
  pick: { agentId: string; driveId: number; tapeId: number },
  extra: Partial<typeof jobRuns.$inferInsert> = {},
): Promise<boolean> {
  const other = sql`select 1 from ${jobRuns} as other where other.finished_at is null
    and other.id <> ${runId} and (other.current_tape_id = ${pick.tapeId} or other.drive_id = ${pick.driveId})`;
  const claimed = await ctx.db
    .update(jobRuns)
    .set({
      operatorMessage: null,
      ...extra,
      agentId: pick.agentId,
      driveId: pick.driveId,
      currentTapeId: pick.tapeId,
    })
    .where(
      and(
        eq(jobRuns.id, runId),
        eq(jobRuns.state, "queued"),
        isNull(jobRuns.agentId),
        sql`not exists (${other})`,
      ),
    )
    .returning({ id: jobRuns.id });
  return claimed.length > 0;
}

import { eq } from "drizzle-orm";
import { CLEANING_FLAGS } from "../../../contracts/agent-protocol.ts";
import { drives } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { cleanDrive } from "./clean-drive.ts";
import { driveBusyReason } from "./drive-busy.ts";
import { raiseDriveEvent } from "./raise-drive-event.ts";

/**
 * A drive in a changer whose TapeAlert says "cleaning required" (20) or "requested" (21) is
 * cleaned as soon as it is idle, with a CLN cartridge of its changer. Never during a run: the
 * flag waits for the run to end (its log already names the flag).
 */
export async function cleanWhenAsked(ctx: ServiceCtx, agentId: string): Promise<void> {
  const rows = await ctx.db.query.drives.findMany({ where: eq(drives.agentId, agentId) });
  for (const drive of rows) {
    const asking = (drive.health?.alerts ?? []).filter((a) =>
      (CLEANING_FLAGS as readonly number[]).includes(a.code),
    );
    if (asking.length === 0 || !drive.changerId) continue;
    if (await driveBusyReason(ctx, drive)) continue;
    const trigger = asking.map((a) => `TapeAlert ${a.code} ${a.name}`).join(", ");
    try {
      const queued = await cleanDrive(ctx, drive.id, {}, trigger);
      await raiseDriveEvent(ctx, {
        action: "drive.clean",
        driveId: drive.id,
        details: { automatic: true, trigger, cartridge: queued.cartridge, orderId: queued.orderId },
      });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      // No cartridge: the drive's flag stays on the attention strip, with the reason.
      await ctx.db
        .update(drives)
        .set({
          alerts: [
            ...(drive.alerts ?? []).filter((a) => !a.startsWith("cleaning:")),
            `cleaning: ${error.message}`,
          ],
        })
        .where(eq(drives.id, drive.id));
    }
  }
}

import { isNotNull } from "drizzle-orm";
import { drives } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { recordEvent } from "../events/record-event.ts";
import { getScheduleZone } from "../settings/get-schedule-zone.ts";
import { cleanDrive } from "./clean-drive.ts";
import { cleaningDue, driveUse } from "./cleaning-due.ts";
import { driveBusyReason } from "./drive-busy.ts";
import { raiseDriveEvent } from "./raise-drive-event.ts";

/**
 * The scheduler tick's part in drive care: a drive whose cleaning schedule is due is cleaned with
 * a CLN cartridge of its changer once it is idle (a run or an order on it waits for the next
 * tick). Audited and announced like an automatic clean; a clean that cannot start (no usable
 * cartridge) is an event once per due period, not once per tick.
 */
export async function cleanOnSchedule(ctx: ServiceCtx): Promise<number> {
  const scheduled = await ctx.db.query.drives.findMany({ where: isNotNull(drives.cleaningSchedule) });
  if (scheduled.length === 0) return 0;
  const zone = await getScheduleZone(ctx);
  let queued = 0;
  for (const drive of scheduled) {
    if (!drive.cleaningSchedule || !drive.changerId) continue;
    const use = await driveUse(ctx, drive);
    const reason = cleaningDue(drive.cleaningSchedule, use, ctx.now(), zone);
    // Busy includes a clean already queued (by hand, by a TapeAlert) and not yet done.
    if (!reason || (await driveBusyReason(ctx, drive))) continue;
    const trigger = `schedule: ${reason}`;
    try {
      const order = await cleanDrive(ctx, drive.id, {}, trigger);
      await raiseDriveEvent(ctx, {
        action: "drive.clean",
        driveId: drive.id,
        details: {
          automatic: true,
          scheduled: true,
          trigger,
          cartridge: order.cartridge,
          orderId: order.orderId,
        },
      });
      queued++;
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      await recordEvent(ctx, {
        kind: "drive.cleaning",
        severity: "warning",
        text: `${drive.name} is due for cleaning (${reason}) but it cannot start: ${error.message}`,
        action: "Import a cleaning cartridge (CLN barcode) through a mail slot.",
        driveId: drive.id,
        href: `/drives/${drive.id}`,
        dedupeKey: `drive.clean_due:${drive.id}:${use.since.getTime()}`,
      });
    }
  }
  return queued;
}

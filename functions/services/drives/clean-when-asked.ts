import { and, desc, eq, gte, sql } from "drizzle-orm";
import { CLEANING_FLAGS } from "../../../contracts/agent-protocol.ts";
import { drives, workOrders } from "../../db/schema/index.ts";
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
    const recent = await recentCleaning(ctx, drive.id);
    if (recent) {
      // Asking again right after a clean: another clean would not help, and would wear the drive.
      await noteOnDrive(
        ctx,
        drive,
        `cleaning: ${drive.name} was cleaned ${recent.toISOString()} and still asks for cleaning; the drive or its last tape may be failing`,
      );
      continue;
    }
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
      await noteOnDrive(ctx, drive, `cleaning: ${error.message}`);
    }
  }
}

/** No second automatic clean within this long of the last one. */
const RECLEAN_AFTER_MS = 3600_000;

async function recentCleaning(ctx: ServiceCtx, driveId: number): Promise<Date | null> {
  const since = new Date(ctx.now().getTime() - RECLEAN_AFTER_MS);
  const last = await ctx.db.query.workOrders.findFirst({
    where: and(
      eq(workOrders.kind, "library"),
      gte(workOrders.createdAt, since),
      sql`json_extract(${workOrders.payload}, '$.operation.op') = 'clean'`,
      sql`json_extract(${workOrders.payload}, '$.driveId') = ${driveId}`,
    ),
    orderBy: desc(workOrders.createdAt),
  });
  return last ? (last.finishedAt ?? last.createdAt) : null;
}

/** A line among the drive's alerts (shown on the attention strip) until the next heartbeat. */
async function noteOnDrive(ctx: ServiceCtx, drive: typeof drives.$inferSelect, note: string) {
  const alerts = [...(drive.alerts ?? []).filter((a) => !a.startsWith("cleaning:")), note.slice(0, 200)];
  await ctx.db.update(drives).set({ alerts }).where(eq(drives.id, drive.id));
}

import { and, eq, inArray, isNull } from "drizzle-orm";
import { type drives, jobRuns, workOrders } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { OPEN_ORDER_STATES } from "../orders/open-order-states.ts";

type DriveRow = typeof drives.$inferSelect;

/** Why the drive cannot take a changer or care order now, or null when it can. */
export async function driveBusyReason(ctx: ServiceCtx, drive: DriveRow): Promise<string | null> {
  if (drive.state === "offline" || drive.state === "unknown")
    return `${drive.name} is ${drive.state}; start its drive-agent`;
  const run = await ctx.db.query.jobRuns.findFirst({
    where: and(eq(jobRuns.driveId, drive.id), isNull(jobRuns.finishedAt)),
  });
  if (run) return `${drive.name} is busy with run ${run.id} (${run.state}); wait for it to end or cancel it`;
  const open = await ctx.db.query.workOrders.findMany({
    where: and(eq(workOrders.agentId, drive.agentId), inArray(workOrders.state, [...OPEN_ORDER_STATES])),
  });
  const busy = open.find(
    (o) => (o.payload as { drive?: { devicePath?: string } }).drive?.devicePath === drive.devicePath,
  );
  if (busy) return `${drive.name} is busy with an open ${busy.kind} order`;
  if (drive.state === "busy") return `${drive.name} is busy`;
  return null;
}

import { and, eq, inArray, isNull, or } from "drizzle-orm";
import type { EjectOrderBody } from "../../../contracts/agent-protocol.ts";
import { drives, jobRuns, workOrders } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { conflict } from "../../errors.ts";
import { OPEN_ORDER_STATES } from "../orders/open-order-states.ts";
import { queueOrder } from "../orders/queue-order.ts";
import { getTape } from "./get-tape.ts";

/**
 * Asks the agent of the drive holding the tape (as its heartbeats report) to rewind and unload
 * it, back to a changer slot when there is one. Refused while the drive works on anything else:
 * an eject must never cut a backup or restore short.
 */
export async function requestEject(ctx: ServiceCtx, tapeId: number) {
  const tape = await getTape(ctx, tapeId);
  const drive = await ctx.db.query.drives.findFirst({
    where: or(
      eq(drives.loadedTapeId, tape.id),
      tape.driveId === null ? undefined : eq(drives.id, tape.driveId),
    ),
  });
  if (!drive)
    throw conflict(`Tape ${tape.barcode} is not in any drive the agents report; there is nothing to eject`);
  if (drive.state === "offline" || drive.state === "unknown")
    throw conflict(
      `${drive.name} holding ${tape.barcode} is ${drive.state}; start its drive-agent, or eject by hand`,
    );
  const run = await ctx.db.query.jobRuns.findFirst({
    where: and(eq(jobRuns.driveId, drive.id), isNull(jobRuns.finishedAt)),
  });
  if (run)
    throw conflict(
      `${drive.name} is busy with run ${run.id} (${run.state}); wait for it to end or cancel it, then eject ${tape.barcode}`,
    );
  const open = await ctx.db.query.workOrders.findMany({
    where: and(eq(workOrders.agentId, drive.agentId), inArray(workOrders.state, [...OPEN_ORDER_STATES])),
  });
  const busy = open.find(
    (o) => (o.payload as { drive?: { devicePath?: string } }).drive?.devicePath === drive.devicePath,
  );
  if (busy || drive.state === "busy")
    throw conflict(
      `${drive.name} is busy${busy ? ` with an open ${busy.kind} order` : ""}; eject ${tape.barcode} when it is idle`,
    );
  const body: EjectOrderBody = {
    kind: "eject",
    runId: null,
    drive: { devicePath: drive.devicePath },
    expectedBarcode: tape.barcode,
  };
  const id = await queueOrder(ctx, drive.agentId, body, { tapeId: tape.id, driveId: drive.id });
  return { orderId: id, tape: tape.barcode, drive: drive.name };
}

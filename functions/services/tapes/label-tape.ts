import { and, eq, inArray, ne } from "drizzle-orm";
import { z } from "zod";
import type { LabelOrderBody } from "../../../contracts/agent-protocol.ts";
import { drives, jobRuns, pools, type tapes, workOrders } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError, conflict } from "../../errors.ts";
import { queueOrder } from "../orders/queue-order.ts";
import { getTape } from "./get-tape.ts";
import { isCleaningBarcode } from "./media-type.ts";
import { reuseRefusal } from "./reuse-refusal.ts";

export const labelTapeInput = z.object({
  /** The drive to label in; default: the drive holding the tape, or a drive of its changer. */
  driveId: z.number().int().positive().optional(),
  poolId: z.number().int().positive().optional(),
  /** Overwrite a tape that holds data. Destroys every backup on it. */
  force: z.boolean().default(false),
});

/**
 * Asks the agent of a drive that can reach the tape to write a new label. A tape the catalog
 * knows to hold backup data is refused unless `force` is given; the agent refuses on its own
 * too when the tape's existing label says it holds data.
 */
export async function requestLabel(ctx: ServiceCtx, tapeId: number, input: z.output<typeof labelTapeInput>) {
  const tape = await getTape(ctx, tapeId);
  if (isCleaningBarcode(tape.barcode) || tape.state === "cleaning")
    throw conflict(`${tape.barcode} is a cleaning cartridge; it never joins a pool`);
  // Nothing overrides this one, not even force: a tape holding a retained set is never overwritten.
  const refusal = await reuseRefusal(ctx, tape.id);
  if (refusal) throw conflict(`${refusal}; it may not be relabelled`);
  if (tape.state === "foreign" && !input.force)
    throw conflict(
      `Tape ${tape.barcode} holds another program's data; labelling destroys it (erase it, or send force: true)`,
    );
  if (tape.usedBytes > 0 && tape.state !== "expired" && !input.force) {
    throw conflict(
      `Tape ${tape.barcode} holds ${tape.usedBytes} bytes of backups; relabelling destroys them (send force: true)`,
    );
  }
  const poolId = input.poolId ?? tape.poolId;
  const pool = poolId ? await ctx.db.query.pools.findFirst({ where: eq(pools.id, poolId) }) : undefined;
  if (!pool) throw new AppError("validation_failed", `Choose a pool for tape ${tape.barcode}`);
  const drive = await driveFor(ctx, tape, input.driveId);
  const body: LabelOrderBody = {
    kind: "label",
    runId: null,
    drive: { devicePath: drive.devicePath },
    tape: { barcode: tape.barcode, label: tape.barcode, uuid: crypto.randomUUID(), pool: pool.name },
    force: input.force || tape.state === "expired",
    // An expired tape is overwritten only when its label is the one the reuse check looked at.
    expectedUuid: tape.state === "expired" ? tape.uuid : null,
  };
  const id = await queueOrder(ctx, drive.agentId, body, { tapeId: tape.id, poolId: pool.id });
  return { orderId: id, tape: tape.barcode, drive: drive.name };
}

async function driveFor(ctx: ServiceCtx, tape: typeof tapes.$inferSelect, driveId: number | undefined) {
  if (driveId) {
    const drive = await ctx.db.query.drives.findFirst({ where: eq(drives.id, driveId) });
    if (!drive) throw new AppError("validation_failed", `Drive ${driveId} does not exist`);
    return refuseWaitingDrive(drive, (await heldDrives(ctx, [drive])).get(drive.id));
  }
  const candidates = await ctx.db.query.drives.findMany({
    where: tape.driveId
      ? eq(drives.id, tape.driveId)
      : tape.changerId
        ? and(eq(drives.changerId, tape.changerId), ne(drives.state, "offline"))
        : undefined,
  });
  // A drive without orders first, then an idle one; a busy one still works: the agent runs a
  // drive's orders in turn.
  const held = await heldDrives(ctx, candidates);
  const drive =
    tape.driveId || tape.changerId
      ? (candidates.find((d) => !held.has(d.id) && d.state === "idle") ??
        candidates.find((d) => !held.has(d.id)) ??
        candidates[0])
      : undefined;
  if (!drive)
    throw conflict(
      `Tape ${tape.barcode} is in no drive or changer the hub knows; insert it and give driveId`,
    );
  return refuseWaitingDrive(drive, held.get(drive.id));
}

type Holder = { kind: string; runId: number | null; runState: string | null };

/** The drives among `candidates` that an unfinished order holds, with that order's run. */
async function heldDrives(ctx: ServiceCtx, candidates: (typeof drives.$inferSelect)[]) {
  const held = new Map<number, Holder>();
  if (candidates.length === 0) return held;
  const open = await ctx.db
    .select({
      agentId: workOrders.agentId,
      kind: workOrders.kind,
      payload: workOrders.payload,
      runState: jobRuns.state,
      runId: workOrders.runId,
    })
    .from(workOrders)
    .leftJoin(jobRuns, eq(jobRuns.id, workOrders.runId))
    .where(inArray(workOrders.state, ["pending", "delivered", "acknowledged"]));
  for (const order of open) {
    const path = (order.payload as { drive?: { devicePath?: string } }).drive?.devicePath;
    const drive = candidates.find((d) => d.agentId === order.agentId && d.devicePath === path);
    const holder = { kind: order.kind, runId: order.runId, runState: order.runState };
    // A waiting backup is what matters about a drive, whatever else is queued behind it.
    if (drive && (!held.has(drive.id) || waits(holder))) held.set(drive.id, holder);
  }
  return held;
}

const waits = (holder: Holder) => holder.kind === "backup" && holder.runState === "waiting-for-tape";

/**
 * A label queued behind a backup that waits for a tape on the same drive would run only once
 * that backup ended, and the backup waits for this very tape: say so instead of accepting it.
 */
function refuseWaitingDrive<D extends { name: string }>(drive: D, holder: Holder | undefined): D {
  if (holder && waits(holder))
    throw conflict(
      `Drive ${drive.name} is held by run ${holder.runId}, which waits for a tape: label on another drive (give driveId), or cancel that run first`,
    );
  return drive;
}

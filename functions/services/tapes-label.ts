import { and, eq, ne } from "drizzle-orm";
import { z } from "zod";
import type { LabelOrderBody } from "../../contracts/agent-protocol.ts";
import { drives, pools, tapes } from "../db/schema/index.ts";
import type { ServiceCtx } from "../deps.ts";
import { AppError, conflict } from "../errors.ts";
import { queueOrder } from "./orders/queue-order.ts";
import { getTape } from "./tapes.ts";

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
  if (tape.usedBytes > 0 && !input.force) {
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
    force: input.force,
  };
  const id = await queueOrder(ctx, drive.agentId, body, { tapeId: tape.id, poolId: pool.id });
  return { orderId: id, tape: tape.barcode, drive: drive.name };
}

async function driveFor(ctx: ServiceCtx, tape: typeof tapes.$inferSelect, driveId: number | undefined) {
  if (driveId) {
    const drive = await ctx.db.query.drives.findFirst({ where: eq(drives.id, driveId) });
    if (!drive) throw new AppError("validation_failed", `Drive ${driveId} does not exist`);
    return drive;
  }
  const candidates = await ctx.db.query.drives.findMany({
    where: tape.driveId
      ? eq(drives.id, tape.driveId)
      : tape.changerId
        ? and(eq(drives.changerId, tape.changerId), ne(drives.state, "offline"))
        : undefined,
  });
  // An idle drive first; a busy one still works: the agent runs a drive's orders in turn.
  const drive =
    tape.driveId || tape.changerId
      ? (candidates.find((d) => d.state === "idle") ?? candidates[0])
      : undefined;
  if (!drive)
    throw conflict(
      `Tape ${tape.barcode} is in no drive or changer the hub knows; insert it and give driveId`,
    );
  return drive;
}

/** Applied when the agent reports the label written. */
export async function applyLabelResult(ctx: ServiceCtx, payload: Record<string, unknown>) {
  const tapeId = payload.tapeId as number;
  const tape = (payload as unknown as LabelOrderBody).tape;
  const now = ctx.now();
  await ctx.db
    .update(tapes)
    .set({
      label: tape.label,
      uuid: tape.uuid,
      poolId: payload.poolId as number,
      state: "active",
      fileCount: 1,
      usedBytes: 0,
      labelledAt: now,
      firstWrittenAt: null,
      lastWrittenAt: null,
      updatedAt: now,
    })
    .where(eq(tapes.id, tapeId));
}

import { eq } from "drizzle-orm";
import type { LibraryOperation, LibraryOrderBody } from "../../../contracts/agent-protocol.ts";
import { changers, drives } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { conflict, notFound } from "../../errors.ts";
import { driveBusyReason } from "../drives/drive-busy.ts";
import { queueOrder } from "../orders/queue-order.ts";

type DriveRow = typeof drives.$inferSelect;

/**
 * Queues a library order for a changer through one of its drives: the one named, or the first
 * idle one. Refused, naming why, when no drive of the changer is free.
 */
export async function queueLibraryOrder(
  ctx: ServiceCtx,
  input: { changerId: number; driveId?: number | null; operation: LibraryOperation },
  hubOnly: Record<string, unknown> = {},
): Promise<{ orderId: string; changer: string; drive: string; driveId: number }> {
  const changer = await ctx.db.query.changers.findFirst({ where: eq(changers.id, input.changerId) });
  if (!changer) throw notFound("changer", input.changerId);
  const members = await ctx.db.query.drives.findMany({ where: eq(drives.changerId, changer.id) });
  const candidates = input.driveId == null ? members : members.filter((d) => d.id === input.driveId);
  if (candidates.length === 0)
    throw conflict(
      input.driveId == null
        ? `${changer.name} has no drive the agent reports; nothing can move its cartridges`
        : `Drive ${input.driveId} is not in ${changer.name}`,
    );
  let chosen: DriveRow | null = null;
  const reasons: string[] = [];
  for (const drive of candidates) {
    const reason = await driveBusyReason(ctx, drive);
    if (!reason) {
      chosen = drive;
      break;
    }
    reasons.push(reason);
  }
  if (!chosen) throw conflict(`${input.operation.op} on ${changer.name} must wait: ${reasons.join("; ")}`);
  const body: LibraryOrderBody = {
    kind: "library",
    runId: null,
    drive: { devicePath: chosen.devicePath },
    changer: { devicePath: changer.devicePath },
    operation: input.operation,
  };
  const orderId = await queueOrder(ctx, chosen.agentId, body, {
    changerId: changer.id,
    driveId: chosen.id,
    ...hubOnly,
  });
  return { orderId, changer: changer.name, drive: chosen.name, driveId: chosen.id };
}

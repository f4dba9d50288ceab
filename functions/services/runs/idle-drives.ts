import { and, eq, inArray, isNotNull, ne } from "drizzle-orm";
import { agents, drives, type tapes, workOrders } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AGENT_OFFLINE_AFTER_MS } from "../agents/to-public-agent.ts";
import { OPEN_ORDER_STATES } from "../orders/open-order-states.ts";

type DriveRow = typeof drives.$inferSelect;
type TapeRow = typeof tapes.$inferSelect;

/** Enrolled agents heard from recently enough to be given work. */
export async function onlineAgents(ctx: ServiceCtx) {
  const onlineSince = new Date(ctx.now().getTime() - AGENT_OFFLINE_AFTER_MS);
  return (
    await ctx.db.query.agents.findMany({
      where: and(eq(agents.state, "online"), isNotNull(agents.publicKey)),
    })
  ).filter((a) => a.lastSeenAt && a.lastSeenAt >= onlineSince);
}

/** The agent's drives that are up and have no open order. */
export async function idleDrives(ctx: ServiceCtx, agentId: string): Promise<DriveRow[]> {
  const all = await ctx.db.query.drives.findMany({
    where: and(eq(drives.agentId, agentId), ne(drives.state, "offline")),
  });
  const busy = await ctx.db
    .select({ payload: workOrders.payload })
    .from(workOrders)
    .where(and(eq(workOrders.agentId, agentId), inArray(workOrders.state, [...OPEN_ORDER_STATES])));
  const busyPaths = new Set(
    busy.map((o) => (o.payload as { drive?: { devicePath?: string } }).drive?.devicePath),
  );
  return all.filter((d) => !busyPaths.has(d.devicePath) && d.state !== "error");
}

/** A drive reaches a tape that is in it, or in a slot of its changer. */
export const reaches = (drive: DriveRow, t: TapeRow) =>
  t.driveId === drive.id ||
  (drive.changerId !== null && t.changerId === drive.changerId && t.driveId === null);

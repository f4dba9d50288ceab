import { eq } from "drizzle-orm";
import type { DetectOrderBody } from "../../../contracts/agent-protocol.ts";
import { agents } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { conflict } from "../../errors.ts";
import { queueOrder } from "../orders/queue-order.ts";
import { getOrThrow } from "../shared/get-or-throw.ts";

/**
 * Asks an agent to rerun drive detection (a detect order); its next heartbeat brings the drives
 * it found, and the order's result names the new and the vanished ones (record-rescan.ts).
 */
export async function requestRescan(
  ctx: ServiceCtx,
  agentId: string,
): Promise<{ orderId: string; agent: string }> {
  const agent = getOrThrow(
    await ctx.db.query.agents.findFirst({ where: eq(agents.id, agentId) }),
    "Agent",
    agentId,
  );
  if (!agent.publicKey)
    throw conflict(`Agent ${agent.name} has not enrolled yet; it has no drives to rescan`);
  if (agent.state === "disabled") throw conflict(`Agent ${agent.name} is disabled`);
  const body: DetectOrderBody = { kind: "detect", runId: null };
  return { orderId: await queueOrder(ctx, agentId, body), agent: agent.name };
}

import type { OrderBody } from "../../../contracts/agent-protocol.ts";
import { workOrders } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { ORDER_TTL_SECONDS } from "./sign-order.ts";

/**
 * Puts a work order in the agent's queue; the agent's waiting poll takes it (woken in this process, else at its re-check), signed then. `hubOnly`
 * is kept with the body for the hub's own use when the result comes back (ids, the key to seal),
 * and never sent: the signed order carries the body alone.
 */
export async function queueOrder(
  ctx: ServiceCtx,
  agentId: string,
  body: OrderBody,
  hubOnly: Record<string, unknown> = {},
): Promise<string> {
  const now = ctx.now();
  const id = crypto.randomUUID();
  await ctx.db.insert(workOrders).values({
    id,
    agentId,
    runId: body.runId,
    kind: body.kind,
    state: "pending",
    payload: { ...body, ...hubOnly },
    createdAt: now,
    expiresAt: new Date(now.getTime() + ORDER_TTL_SECONDS * 1000),
  });
  ctx.orderWake?.signal(agentId);
  return id;
}

import type { OrderResult } from "../../../contracts/agent-protocol.ts";
import { pveInventories } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";

/** A discover order's answer: the inventory replaces the source's last one; a failure keeps it and says why. */
export async function recordInventory(
  ctx: ServiceCtx,
  sourceId: number,
  result: Pick<OrderResult, "state" | "error" | "inventory">,
): Promise<void> {
  const now = ctx.now();
  const inventory = result.state === "completed" ? result.inventory : undefined;
  if (inventory) {
    const values = {
      nodes: inventory.nodes,
      guests: inventory.guests,
      discoveredAt: now,
      attemptedAt: now,
      error: null,
    };
    await ctx.db
      .insert(pveInventories)
      .values({ sourceId, ...values })
      .onConflictDoUpdate({ target: pveInventories.sourceId, set: values });
    return;
  }
  const error = result.error ?? `discovery ended ${result.state}`;
  await ctx.db
    .insert(pveInventories)
    .values({ sourceId, nodes: [], guests: [], discoveredAt: null, attemptedAt: now, error })
    .onConflictDoUpdate({ target: pveInventories.sourceId, set: { attemptedAt: now, error } });
}

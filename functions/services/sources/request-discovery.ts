import type { DiscoverOrderBody } from "../../../contracts/agent-protocol.ts";
import type { ServiceCtx } from "../../deps.ts";
import { AppError } from "../../errors.ts";
import { queueOrder } from "../orders/queue-order.ts";
import { getSource } from "./get-source.ts";
import { guestSpecOf } from "./guest-spec-of.ts";

/**
 * Asks the source's agent (on the PVE node) to list the cluster's nodes and guests: the hub never
 * reaches the PVE API itself (docs/adr/0016). The answer lands in pve_inventories.
 */
export async function requestDiscovery(ctx: ServiceCtx, sourceId: number): Promise<{ orderId: string }> {
  const source = await getSource(ctx, sourceId);
  if (source.kind !== "proxmox")
    throw new AppError("validation_failed", `Source ${source.name} is not a Proxmox source`);
  if (!source.agentId)
    throw new AppError(
      "validation_failed",
      `Source ${source.name} names no agent: choose the drive-agent that runs on the PVE node`,
    );
  const spec = await guestSpecOf(ctx, source);
  if (typeof spec === "string" || !spec)
    throw new AppError("validation_failed", spec ?? "not a Proxmox source");
  const body: DiscoverOrderBody = { kind: "discover", runId: null, pve: spec.pve };
  return { orderId: await queueOrder(ctx, source.agentId, body) };
}

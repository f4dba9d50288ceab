import type { DiscoverOrderBody, OrderResult } from "../../contracts/agent-protocol.ts";
import { discoverGuests } from "../proxmox/discover.ts";
import { PveClient } from "../proxmox/pve-client.ts";

export type DiscoverExecutor = (
  order: DiscoverOrderBody,
  ctx: { tokenSecret: string | null; signal: AbortSignal },
) => Promise<OrderResult>;

/** Lists the PVE cluster's nodes and guests for the hub; the API's refusal is the order's error. */
export const executeDiscover: DiscoverExecutor = async (order, ctx) => {
  if (!ctx.tokenSecret) return { state: "failed", error: "the order carries no PVE token secret" };
  const client = new PveClient({
    apiUrl: order.pve.apiUrl,
    tokenId: order.pve.tokenId,
    tokenSecret: ctx.tokenSecret,
    fingerprint: order.pve.fingerprint,
  });
  try {
    const inventory = await discoverGuests(client);
    return { state: "completed", inventory, summary: { files: inventory.guests.length } };
  } catch (error) {
    return { state: "failed", error: (error as Error).message.slice(0, 4000), retryable: false };
  }
};

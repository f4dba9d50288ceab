import { asc, eq } from "drizzle-orm";
import { sources } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { type GuestInventory, getGuestInventory } from "./get-guest-inventory.ts";

/** The guests page of the main menu: every Proxmox source's guests, each with its last tape backup. */
export async function listGuestInventories(ctx: ServiceCtx): Promise<GuestInventory[]> {
  const proxmox = await ctx.db.query.sources.findMany({
    where: eq(sources.kind, "proxmox"),
    orderBy: asc(sources.name),
    limit: 100,
  });
  const inventories: GuestInventory[] = [];
  for (const source of proxmox) inventories.push(await getGuestInventory(ctx, source.id));
  return inventories;
}

import { and, desc, eq } from "drizzle-orm";
import type { PveInventory } from "../../../contracts/proxmox.ts";
import { guestBackups, pveInventories } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getSource } from "../sources/get-source.ts";

export type GuestRow = PveInventory["guests"][number] & {
  /** The newest archive of this guest on tape, or null: never backed up (or every try failed). */
  lastBackup: { id: number; setId: number; at: Date; bytes: number } | null;
  /** The newest attempt failed after the last good one: what went wrong. */
  lastFailure: { at: Date; error: string | null } | null;
};

export type GuestInventory = {
  source: { id: number; name: string; node: string | null };
  discoveredAt: Date | null;
  attemptedAt: Date | null;
  error: string | null;
  nodes: PveInventory["nodes"];
  guests: GuestRow[];
};

/** The guests page's model: the last discovery, each guest with its last tape backup. */
export async function getGuestInventory(ctx: ServiceCtx, sourceId: number): Promise<GuestInventory> {
  const source = await getSource(ctx, sourceId);
  const inventory = await ctx.db.query.pveInventories.findFirst({
    where: eq(pveInventories.sourceId, sourceId),
  });
  const backups = await ctx.db
    .select()
    .from(guestBackups)
    .where(and(eq(guestBackups.sourceId, sourceId)))
    .orderBy(desc(guestBackups.id))
    .limit(5000);
  const guests = (inventory?.guests ?? []).map((g) => {
    const mine = backups.filter((b) => b.vmid === g.vmid && b.type === g.type);
    const good = mine.find((b) => b.state === "completed");
    const newest = mine[0];
    return {
      ...g,
      lastBackup: good ? { id: good.id, setId: good.setId, at: good.createdAt, bytes: good.bytes } : null,
      lastFailure: newest && newest.state === "failed" ? { at: newest.createdAt, error: newest.error } : null,
    };
  });
  return {
    source: { id: source.id, name: source.name, node: (source.options?.node as string | undefined) ?? null },
    discoveredAt: inventory?.discoveredAt ?? null,
    attemptedAt: inventory?.attemptedAt ?? null,
    error: inventory?.error ?? null,
    nodes: inventory?.nodes ?? [],
    guests,
  };
}

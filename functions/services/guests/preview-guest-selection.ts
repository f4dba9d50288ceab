import { eq } from "drizzle-orm";
import { type JobGuests, missingIds, selectGuests } from "../../../contracts/proxmox.ts";
import { pveInventories } from "../../db/schema/index.ts";
import type { ServiceCtx } from "../../deps.ts";
import { getSource } from "../sources/get-source.ts";
import { ProxmoxOptions } from "../sources/proxmox-options.ts";

export type GuestSelectionPreview =
  | { state: "not-proxmox" }
  | { state: "undiscovered"; sourceId: number; source: string }
  | {
      state: "ok";
      sourceId: number;
      source: string;
      node: string;
      discoveredAt: Date | null;
      /** Whose choice it is: the job's own, or the source's (a job that does not choose). */
      from: "job" | "source";
      mode: string;
      selected: { vmid: number; name: string; type: string; status: string }[];
      /** Ids named that the node does not have (as the run's log will say). */
      missing: number[];
      /** Templates the selection would name but leaves out (not asked for). */
      templatesLeftOut: number;
    };

/**
 * Which guests of a Proxmox source a job's selection names now, read against the source's last
 * discovery with the same rule the agent applies when the run starts (contracts/proxmox.ts).
 */
export async function previewGuestSelection(
  ctx: ServiceCtx,
  sourceId: number,
  chosen: JobGuests | null,
): Promise<GuestSelectionPreview> {
  const source = await getSource(ctx, sourceId);
  if (source.kind !== "proxmox") return { state: "not-proxmox" };
  const options = ProxmoxOptions.safeParse(source.options ?? {});
  const inventory = await ctx.db.query.pveInventories.findFirst({
    where: eq(pveInventories.sourceId, sourceId),
  });
  if (!options.success || !inventory?.discoveredAt)
    return { state: "undiscovered", sourceId, source: source.name };
  const { node } = options.data;
  const selection = chosen?.selection ?? options.data.selection;
  const selected = selectGuests(inventory.guests, selection, node);
  const withTemplates = selectGuests(inventory.guests, { ...selection, includeTemplates: true }, node);
  return {
    state: "ok",
    sourceId,
    source: source.name,
    node,
    discoveredAt: inventory.discoveredAt,
    from: chosen ? "job" : "source",
    mode: chosen?.mode ?? options.data.mode,
    selected: selected.map((g) => ({ vmid: g.vmid, name: g.name, type: g.type, status: g.status })),
    missing: missingIds(inventory.guests, selection, node),
    templatesLeftOut: withTemplates.length - selected.length,
  };
}

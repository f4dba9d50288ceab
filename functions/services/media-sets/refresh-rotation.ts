import type { ServiceCtx } from "../../deps.ts";
import { recordEvent } from "../events/record-event.ts";
import { offsiteRotation } from "./offsite-rotation.ts";

/**
 * On the scheduler tick: one event per media set to take offsite or bring back, the first time it
 * is due (however many hub instances tick); the attention strip lists them until they are done.
 */
export async function refreshRotation(ctx: ServiceCtx): Promise<number> {
  const items = await offsiteRotation(ctx);
  for (const item of items)
    await recordEvent(ctx, {
      kind: "offsite.rotation",
      text: item.text,
      action:
        item.direction === "out"
          ? "Export the tapes through the changer, or take them out and mark the media set offsite."
          : "Insert the tapes into the library (import them); the set is then marked returned.",
      href: `/pools#pool-${item.poolId}`,
      poolId: item.poolId,
      dedupeKey: `offsite.${item.direction}:${item.mediaSetId}`,
    });
  return items.length;
}

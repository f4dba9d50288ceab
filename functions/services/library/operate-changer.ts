import { z } from "zod";
import type { ServiceCtx } from "../../deps.ts";
import { queueLibraryOrder } from "./queue-library-order.ts";

const slot = z.number().int().min(0);

/** What an operator asks the robot to do by hand; import and export have verbs of their own. */
export const operateChangerInput = z.discriminatedUnion("op", [
  z.object({ op: z.literal("inventory") }),
  z.object({ op: z.literal("load"), slot, driveId: z.number().int().positive().optional() }),
  z.object({
    op: z.literal("unload"),
    driveId: z.number().int().positive(),
    slot: slot.nullable().default(null),
  }),
  z.object({ op: z.literal("transfer"), from: slot, to: slot }),
  z.object({ op: z.literal("import") }),
]);
export type OperateChangerInput = z.output<typeof operateChangerInput>;

/**
 * Inventory (rescan barcodes), load, unload, transfer or import from the mail slots, as a work
 * order through a free drive of the changer. The agent's heartbeat after the order reports the
 * new inventory; the order's result says what was imported.
 */
export async function operateChanger(ctx: ServiceCtx, changerId: number, input: OperateChangerInput) {
  const driveId = "driveId" in input ? (input.driveId ?? null) : null;
  const operation =
    input.op === "load"
      ? { op: "load" as const, slot: input.slot }
      : input.op === "unload"
        ? { op: "unload" as const, slot: input.slot }
        : input.op === "transfer"
          ? { op: "transfer" as const, from: input.from, to: input.to }
          : { op: input.op };
  return queueLibraryOrder(ctx, { changerId, driveId, operation });
}

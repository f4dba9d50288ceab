import type { OrderResult } from "../../contracts/agent-protocol.ts";
import { isDriveError } from "../errors.ts";
import type { EjectExecutor } from "./types.ts";

/**
 * Rewinds and unloads the order's cartridge; a drive in a changer gets it moved back to its
 * home slot (or the first empty one). A drive holding another cartridge than the hub expects
 * is left alone: the hub's picture is stale and the operator must look.
 */
export const executeEject: EjectExecutor = async (order, ctx) => {
  const { drive, changer } = ctx;
  const expected = order.expectedBarcode;
  try {
    const status = await drive.status();
    if (status.barcode !== null && status.barcode !== expected)
      return refused(`${drive.name} holds ${status.barcode}, not ${expected}; nothing was ejected`);
    ctx.signal.throwIfAborted();
    let where: string;
    if (changer?.unloadTape) {
      const slot = await changer.unloadTape();
      if (slot === null) return refused(`${drive.name} is empty; ${expected} is not in it`);
      where = `back in slot ${slot}`;
    } else {
      if (status.barcode === null && !status.flags.online)
        return refused(`${drive.name} has no cartridge ready; ${expected} is not in it`);
      await drive.eject();
      where = "out of the drive; take it from the drive's slot";
    }
    const message = `ejected ${expected} from ${drive.name}: ${where}`;
    ctx.log("info", message, { barcode: expected });
    await ctx.reporter.log([{ at: new Date().toISOString(), level: "info", message, path: null }]);
    return { state: "completed", summary: {} };
  } catch (error) {
    if (ctx.signal.aborted)
      return { state: "interrupted", error: `stopped before ${expected} was ejected`, retryable: true };
    const retryable = isDriveError(error) && error.recovery === "retry";
    return { state: "failed", error: `eject of ${expected}: ${(error as Error).message}`, retryable };
  }
};

function refused(error: string): OrderResult {
  return { state: "failed", error, retryable: false };
}

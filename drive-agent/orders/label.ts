import type { OrderResult } from "../../contracts/agent-protocol.ts";
import { isDriveError } from "../errors.ts";
import { labelTape, readTapeLabel } from "../tape/label-tape.ts";
import type { LabelExecutor } from "./types.ts";

/**
 * Writes a new label on the order's tape, loading it first when a changer holds it. A tape
 * whose label says it holds backup data is overwritten only when the order says `force`; a
 * blank tape or one holding nothing but a label is (re)labelled freely.
 */
export const executeLabel: LabelExecutor = async (order, ctx) => {
  const { drive, changer } = ctx;
  const { tape } = order;
  try {
    if (changer) await changer.loadTape(tape.barcode);
    const status = await drive.status();
    if (status.barcode !== null && status.barcode !== tape.barcode) {
      return refused(`${drive.name} holds ${status.barcode}, not ${tape.barcode}; insert ${tape.barcode}`);
    }
    if (!status.flags.online) return refused(`${drive.name} has no cartridge ready; insert ${tape.barcode}`);
    ctx.signal.throwIfAborted();
    const before = await readTapeLabel(drive);
    if (order.expectedUuid && (before.kind !== "labelled" || before.label.uuid !== order.expectedUuid))
      return refused(
        `tape ${tape.barcode} does not carry the label the hub expects to reuse (uuid ${order.expectedUuid}); it was not overwritten`,
      );
    const holdsData = before.kind !== "blank" && before.filesOnTape > 1;
    const foreign = before.kind === "foreign";
    if ((holdsData || foreign) && !order.force) {
      const what =
        before.kind === "labelled"
          ? `is labelled "${before.label.label}" and holds ${before.filesOnTape - 1} data file(s)`
          : `holds ${before.kind === "foreign" ? before.filesOnTape : 0} tape file(s) of unknown data`;
      return refused(`tape ${tape.barcode} ${what}; relabel with force to destroy them`);
    }
    ctx.log("info", "writing label", {
      barcode: tape.barcode,
      label: tape.label,
      pool: tape.pool,
      previous: before.kind === "labelled" ? before.label.label : before.kind,
    });
    await labelTape(drive, {
      label: tape.label,
      uuid: tape.uuid,
      pool: tape.pool,
      force: before.kind !== "blank",
    });
    const after = await readTapeLabel(drive);
    if (after.kind !== "labelled" || after.label.uuid !== tape.uuid)
      return {
        state: "failed",
        error: `the label read back from ${tape.barcode} is not the one written`,
        retryable: false,
      };
    await ctx.reporter.log([
      {
        at: new Date().toISOString(),
        level: "info",
        message: `labelled ${tape.barcode} "${tape.label}" into pool ${tape.pool}`,
        path: null,
      },
    ]);
    const capacity = status.capacityBytes ?? null;
    return { state: "completed", summary: {}, ...(capacity ? { tapeCapacityBytes: capacity } : {}) };
  } catch (error) {
    if (ctx.signal.aborted)
      return { state: "interrupted", error: "stopped before the label was written", retryable: true };
    const retryable = isDriveError(error) && error.recovery === "retry";
    return { state: "failed", error: (error as Error).message, retryable };
  }
};

function refused(error: string): OrderResult {
  return { state: "failed", error, retryable: false };
}

import type { BackupOrderBody, TapeTarget } from "../../../contracts/agent-protocol.ts";
import { readTapeLabel } from "../../tape/label-tape.ts";
import type { ExecutorContext } from "../types.ts";
import type { RunControl } from "./run-control.ts";
import { checkTape, mismatch } from "./tape-check.ts";

export type ReadyTape = { target: TapeTarget; filesOnTape: number };

/**
 * Gets the next tape of the set into the drive: with a changer, the first continuation tape whose
 * label checks out; without one (or when none does), waits for the operator, polling the drive
 * and reading the label of whatever tape appears, until a suitable one is in or the run stops.
 */
export async function nextTape(
  order: BackupOrderBody,
  used: ReadonlySet<string>,
  ctx: Pick<ExecutorContext, "drive" | "changer" | "log">,
  control: RunControl,
  pollMs: number,
): Promise<ReadyTape> {
  const candidates = order.continuationTapes.filter((t) => !used.has(t.barcode));
  if (ctx.changer) {
    for (const target of candidates) {
      try {
        await ctx.changer.loadTape(target.barcode);
        const check = await checkTape(ctx.drive, target);
        if (check.ok) return { target, filesOnTape: check.filesOnTape };
        control.addLog("warn", `skipping tape ${target.barcode}: ${check.error}`, null);
      } catch (error) {
        control.addLog("warn", `could not load tape ${target.barcode}: ${String(error)}`, null);
      }
    }
  }
  await ctx.drive
    .eject()
    .catch((error: unknown) => ctx.log("warn", "eject failed", { error: String(error) }));
  const names = candidates.map((t) => `${t.barcode} ("${t.label}")`);
  control.state = "waiting-for-tape";
  control.message = (
    names.length > 0
      ? `Insert one of these tapes of pool "${order.pool.name}" to continue: ${names.join(", ")}`
      : `No tape of pool "${order.pool.name}" is left for this set: add and label one, then insert it`
  ).slice(0, 1000);
  await control.tick();
  let seen: string | null = null;
  try {
    for (;;) {
      await control.wait(pollMs);
      const status = await ctx.drive.status().catch(() => null);
      const present = status?.flags.online ? (status.barcode ?? "tape") : null;
      if (present === null || present === seen) {
        if (present === null) seen = null;
        continue;
      }
      seen = present;
      const identity = await readTapeLabel(ctx.drive).catch(() => null);
      if (!identity) continue;
      for (const target of candidates) {
        if (mismatch(identity, target, ctx.drive.name) === null && identity.kind === "labelled")
          return { target, filesOnTape: identity.filesOnTape };
      }
      control.addLog(
        "warn",
        `the tape inserted (${present}) is not one of ${names.join(", ") || "the tapes this set may use"}`,
        null,
      );
    }
  } finally {
    control.state = "running";
    control.message = null;
  }
}

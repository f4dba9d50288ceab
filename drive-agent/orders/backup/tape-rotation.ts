import type { BackupOrderBody, TapeTarget } from "../../../contracts/agent-protocol.ts";
import { readTapeLabel } from "../../tape/label-tape.ts";
import type { ExecutorContext } from "../types.ts";
import type { RunControl } from "./run-control.ts";
import { checkTape, mismatch } from "./tape-check.ts";

export type ReadyTape = { target: TapeTarget; filesOnTape: number };
type Ctx = Pick<ExecutorContext, "drive" | "changer" | "log">;

/** A changer load of the same offered tape that failed (a drive still busy) is tried again after this. */
const RELOAD_AFTER_MS = 5_000;

/**
 * Gets the next tape of the set into the drive: with a changer, the first continuation tape whose
 * label checks out; otherwise (or when none does) the run waits for a tape, and takes any tape
 * the hub offers meanwhile (one labelled, inserted or put in the changer since the order was
 * sent: the hub's answer to progress names them) or the order named. Whatever it takes, the
 * label is read and must be the one named before a byte is written, and the set is appended at
 * end of data: nothing on a tape is ever written over.
 */
export async function nextTape(
  order: BackupOrderBody,
  used: ReadonlySet<string>,
  ctx: Ctx,
  control: RunControl,
  pollMs: number,
): Promise<ReadyTape> {
  const fromOrder = order.continuationTapes.filter((t) => !used.has(t.barcode));
  const loader = new ChangerTries(ctx, control);
  for (const target of fromOrder) {
    const ready = await loader.tryLoad(target);
    if (ready) return ready;
  }
  await ctx.drive
    .eject()
    .catch((error: unknown) => ctx.log("warn", "eject failed", { error: String(error) }));
  control.state = "waiting-for-tape";
  control.message = waitingWords(order, fromOrder, ctx.changer !== null);
  await control.tick();
  let seen: string | null = null;
  try {
    for (;;) {
      // The hub's offer is the newer word on a tape (its next file), so it goes first.
      const candidates = [...control.offeredTapes().filter((t) => t.uuid !== ""), ...fromOrder].filter(
        (t, i, all) => !used.has(t.barcode) && all.findIndex((o) => o.barcode === t.barcode) === i,
      );
      for (const target of candidates) {
        const ready = await loader.tryLoad(target);
        if (ready) return ready;
      }
      await control.wait(pollMs);
      if (ctx.changer) continue;
      const status = await ctx.drive.status().catch(() => null);
      const present = status?.flags.online ? (status.barcode ?? "tape") : null;
      // The tape in the drive is read again when the tapes that would do change (a new offer).
      const look = `${present} ${candidates.map((t) => JSON.stringify(t)).join()}`;
      if (present === null || look === seen) {
        if (present === null) seen = null;
        continue;
      }
      seen = look;
      const identity = await readTapeLabel(ctx.drive).catch(() => null);
      if (!identity) continue;
      for (const target of candidates) {
        if (mismatch(identity, target, ctx.drive.name) === null && identity.kind === "labelled")
          return { target, filesOnTape: identity.filesOnTape };
      }
      control.addLog(
        "warn",
        `the tape inserted (${present}) is not one of ${candidates.map(named).join(", ") || "the tapes this set may use"}`,
        null,
      );
    }
  } finally {
    control.state = "running";
    control.message = null;
  }
}

/** Changer loads of candidate tapes: each tape once, again only when its entry changed or a while later. */
class ChangerTries {
  private readonly tried = new Map<string, { key: string; at: number }>();
  constructor(
    private readonly ctx: Ctx,
    private readonly control: RunControl,
  ) {}

  async tryLoad(target: TapeTarget): Promise<ReadyTape | null> {
    const { changer, drive } = this.ctx;
    if (!changer) return null;
    const key = JSON.stringify(target);
    const last = this.tried.get(target.barcode);
    if (last && last.key === key && performance.now() - last.at < RELOAD_AFTER_MS) return null;
    this.tried.set(target.barcode, { key, at: performance.now() });
    const again = last?.key === key;
    try {
      await changer.loadTape(target.barcode);
      const check = await checkTape(drive, target);
      if (check.ok) {
        if (check.warning) this.control.addLog("warn", check.warning, null);
        return { target, filesOnTape: check.filesOnTape };
      }
      if (!again) this.control.addLog("warn", `skipping tape ${target.barcode}: ${check.error}`, null);
    } catch (error) {
      if (!again)
        this.control.addLog("warn", `could not load tape ${target.barcode}: ${String(error)}`, null);
    }
    return null;
  }
}

const named = (t: TapeTarget) => `${t.barcode} ("${t.label}")`;

function waitingWords(order: BackupOrderBody, left: TapeTarget[], changer: boolean): string {
  const pool = `pool "${order.pool.name}"`;
  const where = changer ? "into a slot of this library" : "into this drive";
  const words =
    left.length > 0
      ? `Insert one of these tapes of ${pool} ${where} to continue: ${left.map(named).join(", ")}; or label a new tape into ${pool}`
      : `No tape of ${pool} is left for this set: label a new tape into ${pool} (on another drive, or ${where}) and the run continues on it`;
  return words.slice(0, 1000);
}

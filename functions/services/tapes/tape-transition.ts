import type { TapeState, tapes } from "../../db/schema/index.ts";
import { isCleaningBarcode } from "./media-type.ts";

type TapeRow = Pick<typeof tapes.$inferSelect, "barcode" | "state" | "uuid" | "driveId" | "poolId">;

/** Out of the library by the operator's word: never written, never dispatched. */
const AWAY: readonly TapeState[] = ["offsite", "exported"];
/** States the hub itself reaches (labelling, writing, closing, expiry); a return picks one of them. */
const HOME: readonly TapeState[] = ["active", "full", "expired"];

/**
 * What an operator may say about a tape by hand (the tape page, PATCH /tapes/:id), and why not
 * otherwise. Labelling, writing, expiry and erase make the other moves; a tape back from away
 * (or un-retired) takes the state its sets and media set give it (`stateOnReturn`).
 * Null when the move is allowed.
 */
export function tapeTransitionRefusal(tape: TapeRow, to: TapeState): string | null {
  const from = tape.state;
  if (from === to) return null;
  if (to === "blank")
    return `Tape ${tape.barcode} cannot be marked blank by hand: erase it (that checks nothing retained is on it)`;
  if (to === "foreign")
    return `Tape ${tape.barcode} is foreign only when an import reads another program's label`;
  if (from === "cleaning" && to !== "retired" && !AWAY.includes(to))
    return `${tape.barcode} is a cleaning cartridge; it can only be retired or taken out`;
  if (to === "cleaning") {
    if (isCleaningBarcode(tape.barcode) || (tape.uuid === null && (from === "blank" || from === "foreign")))
      return null;
    return `Tape ${tape.barcode} holds a TapeBackarr label; only an unlabelled cartridge can be a cleaning one`;
  }
  if (AWAY.includes(to) && tape.driveId !== null)
    return `Tape ${tape.barcode} is in a drive: eject it first, then mark it ${to}`;
  if (HOME.includes(to) && !AWAY.includes(from) && from !== "retired")
    return `Tape ${tape.barcode} becomes ${to} by writing, closing or expiry, not by hand`;
  return null;
}

/** The moves by hand the tape page offers, each in the words it shows. */
const BY_HAND: [TapeState, string][] = [
  ["offsite", "offsite (in the vault; asked back by rotation)"],
  ["exported", "exported (gone for good; never asked back)"],
  ["retired", "retired (never written again)"],
  ["full", "returned (back in the library)"],
];

/** The states the tape page offers: where it is now, then each move by hand the rule above allows. */
export function stateChoices(tape: TapeRow): { state: TapeState; words: string }[] {
  return [
    { state: tape.state, words: tape.state },
    ...BY_HAND.filter(([to]) => to !== tape.state && tapeTransitionRefusal(tape, to) === null).map(
      ([state, words]) => ({ state, words }),
    ),
  ];
}

/** Whether a move by hand brings the tape back home (its state is then worked out, not taken). */
export const returnsHome = (from: TapeState, to: TapeState) =>
  HOME.includes(to) && (AWAY.includes(from) || from === "retired");

/** A cleaning cartridge is never in a pool. */
export function poolRefusal(tape: Pick<TapeRow, "barcode" | "state">, poolId: number | null | undefined) {
  if (!poolId) return null;
  if (tape.state === "cleaning" || isCleaningBarcode(tape.barcode))
    return `${tape.barcode} is a cleaning cartridge; it never joins a pool`;
  return null;
}

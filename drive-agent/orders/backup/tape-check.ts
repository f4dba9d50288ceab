import type { TapeTarget } from "../../../contracts/agent-protocol.ts";
import type { Drive } from "../../drives/drive.ts";
import { DriveError } from "../../errors.ts";
import { readTapeLabel, type TapeIdentity } from "../../tape/label-tape.ts";
import type { TapeChanger } from "../types.ts";

export type TapeCheck =
  | { ok: true; filesOnTape: number; warning: string | null }
  | { ok: false; error: string };

function describe(identity: TapeIdentity): string {
  if (identity.kind === "blank") return "a blank tape";
  if (identity.kind === "foreign") return `a tape without a TapeBackarr label ("${identity.preview}")`;
  return `tape "${identity.label.label}" (uuid ${identity.label.uuid || "none"})`;
}

/** Why this tape must not be written for `target`, or null when it is the expected one. */
export function mismatch(identity: TapeIdentity, target: TapeTarget, where: string): string | null {
  const expected = `tape "${target.label}" (uuid ${target.uuid || "any"}, barcode ${target.barcode})`;
  if (
    identity.kind !== "labelled" ||
    identity.label.label !== target.label ||
    (target.uuid !== "" && identity.label.uuid !== target.uuid)
  )
    return `wrong tape in ${where}: found ${describe(identity)}, expected ${expected}`;
  const files = identity.filesOnTape;
  if (target.nextFile !== null && files < target.nextFile)
    return `tape "${target.label}" holds only ${files} tape files but the catalog expects ${target.nextFile}: its sets are not all on it`;
  return null;
}

/** Reads file #0 and counts the files: the label must match before anything is written. */
export async function checkTape(drive: Drive, target: TapeTarget): Promise<TapeCheck> {
  const identity = await readTapeLabel(drive);
  const error = mismatch(identity, target, drive.name);
  if (error || identity.kind !== "labelled") return { ok: false, error: error ?? "not labelled" };
  return { ok: true, filesOnTape: identity.filesOnTape, warning: unknownFiles(identity.filesOnTape, target) };
}

/**
 * Files past where the catalog expects the next set (an interrupted set whose agent was killed,
 * or a set the catalog never heard of) are kept: the set is appended after them at end of
 * data, never written over them. Appending cannot destroy anything; refusing would stop every
 * backup to this tape until someone scanned it.
 */
export function unknownFiles(filesOnTape: number, target: TapeTarget): string | null {
  if (target.nextFile === null || filesOnTape <= target.nextFile) return null;
  return `tape "${target.label}" holds ${filesOnTape - target.nextFile} tape file(s) from file ${target.nextFile} on that the catalog does not know (an interrupted set?); they are kept and this set is appended after them`;
}

/** Moves to end of data (where the next set starts) and sets the block size; returns the data file. */
export async function positionForWrite(
  drive: Drive,
  filesOnTape: number,
  blockSize: number,
): Promise<number> {
  await drive.spaceToEndOfData();
  let status = await drive.status();
  if (status.fileNumber === filesOnTape - 1 && status.blockNumber > 0) {
    // The last file has data but no file mark: a writer died mid-file (SIGKILL, power cut).
    // Close it with its mark so the new set starts in a file of its own, after it.
    await drive.writeFileMarks(1);
    status = await drive.status();
  }
  if (status.fileNumber !== filesOnTape)
    throw new DriveError(
      "IO_ERROR",
      `${drive.name}: end of data is at file ${status.fileNumber}, expected ${filesOnTape}`,
    );
  await drive.setBlockSize(blockSize);
  return filesOnTape;
}

/**
 * Puts the order's first tape in the drive when a changer can: the hub hands out tapes that sit
 * in a slot, and a drive may have been left empty (an agent killed mid-swap). A drive with a
 * cartridge it cannot name (st without a barcode reader) is left alone: the label check decides.
 */
export async function loadFirstTape(
  drive: Drive,
  changer: TapeChanger | null,
  barcode: string,
): Promise<void> {
  if (!changer) return;
  const status = await drive.status().catch(() => null);
  if (status?.barcode === barcode) return;
  if (status && status.barcode === null && status.flags.online) return;
  await changer.loadTape(barcode);
}

import type { TapeTarget } from "../../../contracts/agent-protocol.ts";
import type { Drive } from "../../drives/drive.ts";
import { DriveError } from "../../errors.ts";
import { readTapeLabel, type TapeIdentity } from "../../tape/label-tape.ts";

export type TapeCheck = { ok: true; filesOnTape: number } | { ok: false; error: string };

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
  if (target.nextFile !== null && files > target.nextFile)
    return `tape "${target.label}" holds ${files} tape files but the catalog says the next set starts at file ${target.nextFile}: writing there would destroy files ${target.nextFile}..${files - 1}`;
  if (target.nextFile !== null && files < target.nextFile)
    return `tape "${target.label}" holds only ${files} tape files but the catalog expects ${target.nextFile}: its sets are not all on it`;
  return null;
}

/** Reads file #0 and counts the files: the label must match before anything is written. */
export async function checkTape(drive: Drive, target: TapeTarget): Promise<TapeCheck> {
  const identity = await readTapeLabel(drive);
  const error = mismatch(identity, target, drive.name);
  if (error || identity.kind !== "labelled") return { ok: false, error: error ?? "not labelled" };
  return { ok: true, filesOnTape: identity.filesOnTape };
}

/** Moves to end of data (where the next set starts) and sets the block size; returns the data file. */
export async function positionForWrite(
  drive: Drive,
  filesOnTape: number,
  blockSize: number,
): Promise<number> {
  await drive.spaceToEndOfData();
  const status = await drive.status();
  if (status.fileNumber !== filesOnTape)
    throw new DriveError(
      "IO_ERROR",
      `${drive.name}: end of data is at file ${status.fileNumber}, expected ${filesOnTape}`,
    );
  await drive.setBlockSize(blockSize);
  return filesOnTape;
}

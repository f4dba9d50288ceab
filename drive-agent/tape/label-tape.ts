import { randomUUID } from "node:crypto";
import {
  type DecodeLabelResult,
  decodeLabel,
  encodeLabel,
  LABEL_BLOCK_SIZE,
  type TapeLabel,
} from "../../contracts/label.ts";
import { DEFAULT_BLOCK_SIZE, type Drive } from "../drives/drive.ts";
import { DriveError, isDriveError } from "../errors.ts";

export type TapeIdentity =
  | { kind: "blank" }
  | { kind: "labelled"; label: TapeLabel; filesOnTape: number }
  | { kind: "foreign"; preview: string; filesOnTape: number };

/** Rewinds and reads file #0; leaves the tape at BOT with the default block size. */
export async function readTapeLabel(drive: Drive): Promise<TapeIdentity> {
  const first = await readFirstBlock(drive);
  if (first === null) return { kind: "blank" };
  const decoded: DecodeLabelResult = decodeLabel(first.subarray(0, LABEL_BLOCK_SIZE));
  const filesOnTape = await countFiles(drive);
  await drive.rewind();
  if (decoded.kind === "label") return { kind: "labelled", label: decoded.label, filesOnTape };
  return {
    kind: "foreign",
    preview: decoded.kind === "foreign" ? decoded.preview : "(NUL block)",
    filesOnTape,
  };
}

export type LabelTapeInput = {
  label: string;
  pool?: string;
  uuid?: string;
  encryptionFingerprint?: string;
  compression?: TapeLabel["compression"];
  /** Allows overwriting a tape that already holds a label or data. */
  force?: boolean;
  now?: () => Date;
};

/**
 * Writes the 512-byte label and its file mark at BOT, which makes everything after it unreadable.
 * Only a blank tape is labelled without `force`: a careful operator never overwrites a tape by accident.
 */
export async function labelTape(drive: Drive, input: LabelTapeInput) {
  const previous = await readTapeLabel(drive);
  if (previous.kind !== "blank" && !input.force) {
    const what =
      previous.kind === "labelled"
        ? `is labelled "${previous.label.label}" and holds ${previous.filesOnTape} tape file(s)`
        : `holds ${previous.filesOnTape} tape file(s) of unknown data`;
    throw new DriveError("TAPE_NOT_BLANK", `the tape in ${drive.name} ${what}; pass --force to overwrite it`);
  }
  const block = encodeLabel({
    label: input.label,
    uuid: input.uuid ?? randomUUID(),
    pool: input.pool ?? "",
    timestamp: Math.floor((input.now?.() ?? new Date()).getTime() / 1000),
    encryptionFingerprint: input.encryptionFingerprint ?? "",
    compression: input.compression ?? "",
  });
  await drive.rewind();
  await drive.setBlockSize(LABEL_BLOCK_SIZE);
  try {
    const outcome = await drive.write(block);
    if (outcome.type !== "written")
      throw new DriveError("MEDIUM_ERROR", `${drive.name}: the drive refused the label block`);
    await drive.writeFileMarks(1);
  } finally {
    await drive.setBlockSize(DEFAULT_BLOCK_SIZE);
  }
  const written = decodeLabel(block);
  if (written.kind !== "label") throw new Error("encoded label does not decode");
  return { label: written.label, previous };
}

/**
 * Reads the first block of file #0. A real drive reads it in variable-block mode, where one read
 * returns one block of any size; the vtl only has fixed blocks, so it tries 512 bytes then 64 KiB.
 */
async function readFirstBlock(drive: Drive): Promise<Buffer | null> {
  await drive.rewind();
  const variable = await drive.setBlockSize(0).then(
    () => true,
    (error: unknown) => {
      if (isDriveError(error, "INVALID_ARGUMENT")) return false;
      throw error;
    },
  );
  for (const blockSize of variable ? [0] : [LABEL_BLOCK_SIZE, DEFAULT_BLOCK_SIZE]) {
    await drive.rewind();
    if (blockSize > 0) await drive.setBlockSize(blockSize);
    try {
      const outcome = await drive.read(blockSize || DEFAULT_BLOCK_SIZE);
      if (outcome.type === "data") return outcome.data;
      // A file mark at BOT is an empty file #0: not blank, but no label either.
      return outcome.type === "filemark" ? Buffer.alloc(LABEL_BLOCK_SIZE) : null;
    } catch (error) {
      if (!isDriveError(error, "BLOCK_SIZE_MISMATCH")) throw error;
    } finally {
      await drive.setBlockSize(DEFAULT_BLOCK_SIZE);
    }
  }
  throw new DriveError(
    "BLOCK_SIZE_MISMATCH",
    `${drive.name}: file #0 has a block size other than 512 or 64 KiB`,
  );
}

async function countFiles(drive: Drive): Promise<number> {
  await drive.spaceToEndOfData();
  const status = await drive.status();
  return status.fileNumber + (status.blockNumber > 0 ? 1 : 0);
}

import type { Drive } from "../drives/drive.ts";

/**
 * Puts the tape at block `block` of tape file `file`: rewind, space file marks, then one locate
 * (SCSI LOCATE on st) relative to where the file starts, so nothing before the block is read.
 */
export async function seekToBlock(
  drive: Drive,
  file: number,
  block: number,
  blockSize: number,
): Promise<void> {
  await drive.rewind();
  if (file > 0) await drive.forwardSpaceFiles(file);
  await drive.setBlockSize(blockSize);
  if (block > 0) await drive.locate((await drive.tell()) + block);
}

import type { TapeMedium } from "./medium.ts";

/**
 * Logical block addresses as SCSI READ POSITION / LOCATE count them on LTO: every data block and
 * every file mark from BOT is one object.
 */
export function addressOf(medium: TapeMedium, file: number, block: number): number {
  let address = block;
  for (let index = 0; index < file; index++) address += objectsIn(medium, index);
  return address;
}

/** The (file, block) an address points at, or null when it lies beyond the end of data. */
export function positionAt(medium: TapeMedium, address: number): { file: number; block: number } | null {
  let remaining = address;
  for (let file = 0; file < medium.fileCount; file++) {
    const marked = medium.fileMeta(file)?.marked ?? false;
    const objects = objectsIn(medium, file);
    // An address equal to the block count points at the file's mark (or its end when unmarked).
    if (remaining < objects || (remaining === objects && !marked)) return { file, block: remaining };
    remaining -= objects;
  }
  return remaining === 0 ? { file: medium.fileCount, block: 0 } : null;
}

function objectsIn(medium: TapeMedium, file: number): number {
  return medium.blocksIn(file) + (medium.fileMeta(file)?.marked ? 1 : 0);
}

/** End of data: after the last file mark, or after the last block of an unmarked last file. */
export function endOfData(medium: TapeMedium): { file: number; block: number } {
  const last = medium.fileCount - 1;
  if (last >= 0 && !medium.fileMeta(last)?.marked) return { file: last, block: medium.blocksIn(last) };
  return { file: medium.fileCount, block: 0 };
}

export function isEndOfData(medium: TapeMedium, file: number, block: number): boolean {
  const end = endOfData(medium);
  return file > end.file || (file === end.file && block >= end.block);
}

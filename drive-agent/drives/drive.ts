import type { Readable, Writable } from "node:stream";
import type { LtoGeneration } from "./st/density.ts";

export const DEFAULT_BLOCK_SIZE = 64 * 1024;
/** Largest single write the agent hands a drive: big transfers keep st and the vtl streaming. */
export const MAX_TRANSFER_BYTES = 4 << 20;

/**
 * The size of each write to `drive`: never more than MAX_TRANSFER_BYTES, never more than the drive
 * takes past early warning (the write that crosses it must still fit before the physical end),
 * whole blocks, at least one.
 */
export function transferBytes(drive: Pick<Drive, "maxTransferBytes">, blockSize: number): number {
  const limit = Math.min(MAX_TRANSFER_BYTES, drive.maxTransferBytes ?? MAX_TRANSFER_BYTES);
  return Math.max(blockSize, limit - (limit % blockSize));
}

export type DriveFlags = {
  bot: boolean;
  eof: boolean;
  eot: boolean;
  eod: boolean;
  online: boolean;
  doorOpen: boolean;
  writeProtected: boolean;
};

export type DriveStatus = {
  /** Tape file number; -1 when the drive lost count (after a locate or backspace), as st reports it. */
  fileNumber: number;
  /** Block within the file; -1 when unknown. */
  blockNumber: number;
  /** Fixed block size in bytes; 0 means variable blocks. */
  blockSize: number;
  densityCode: number | null;
  generation: LtoGeneration | null;
  flags: DriveFlags;
  /** Cartridge barcode when the drive can know it (vtl, cartridge memory). */
  barcode: string | null;
  /** Native capacity of the loaded cartridge when known (vtl, cartridge memory, barcode, density). */
  capacityBytes?: number | null;
};

/** A write stream's result: end of medium is an outcome the caller plans for, not an exception. */
export type WriteSummary = {
  fileNumber: number;
  bytes: number;
  blocks: number;
  /** The write that crossed the early-warning mark; later writes may be refused. */
  earlyWarning: boolean;
  /** A write was refused (ENOSPC); `bytes` were kept on tape and a file mark closed the file. */
  endOfMedium: boolean;
};

export type ReadSummary = {
  fileNumber: number;
  bytes: number;
  blocks: number;
  /**
   * "filemark": the file ended and the tape sits after its mark; "eod": nothing more was written;
   * "cancelled": the reader stopped early and the tape sits inside the file.
   */
  stoppedAt: "filemark" | "eod" | "cancelled";
};

/** One write(2) on the device: end of medium (ENOSPC past early warning) is a normal outcome. */
export type WriteOutcome =
  | { type: "written"; bytes: number; blocks: number; earlyWarning: boolean }
  | { type: "end-of-medium" };

/**
 * A write the drive has placed (its outcome is final; the next write goes after it) whose bytes
 * may still be on their way to the medium: `landed` resolves once they are there and rejects on an
 * I/O error. The written buffer must stay unchanged until then.
 */
export type QueuedWrite = { outcome: WriteOutcome; landed: Promise<void> };

/** One read(2): a file mark and end of data both read as 0 bytes on st; the drive says which. */
export type ReadOutcome = { type: "data"; data: Buffer } | { type: "filemark" } | { type: "eod" };

export type WriteHandle = { stream: Writable; done: Promise<WriteSummary> };
export type ReadHandle = { stream: Readable; done: Promise<ReadSummary> };

export type DriveStatusOptions = { signal?: AbortSignal };

/** One tape drive; all positions follow the Linux st driver on the non-rewinding device. */
export interface Drive {
  readonly name: string;
  /**
   * Largest write that still fits past early warning, for the loaded cartridge; writers never
   * issue a larger one (see transferBytes). Unset: the zone is far larger than any transfer (LTO).
   */
  readonly maxTransferBytes?: number;
  /**
   * The slowest feed the drive streams at, in bytes per second. Unset: the floor of the loaded
   * cartridge's LTO generation (contracts/lto-speeds.ts); null: a drive that cannot shoe-shine.
   */
  readonly minStreamingBytesPerSec?: number | null;
  status(): Promise<DriveStatus>;
  /** Threads a cartridge already in the drive (mt load). */
  load(): Promise<void>;
  /** Rewinds and unthreads (mt offline); the cartridge stays in the drive for the changer. */
  unload(): Promise<void>;
  /** Rewinds and ejects the cartridge (to its slot when a changer owns the drive). */
  eject(): Promise<void>;
  rewind(): Promise<void>;
  /** Moves forward past `count` file marks; lands on the first block of the next file. */
  forwardSpaceFiles(count: number): Promise<void>;
  /** Moves backward past `count` file marks; lands just before the mark (end of previous file). */
  backSpaceFiles(count: number): Promise<void>;
  spaceToEndOfData(): Promise<void>;
  writeFileMarks(count: number): Promise<void>;
  /** Logical block address from BOT, counting data blocks and file marks (SCSI LOCATE/READ POSITION). */
  locate(block: number): Promise<void>;
  tell(): Promise<number>;
  setBlockSize(bytes: number): Promise<void>;
  /** Erases from the current position to the end of the tape (a long erase on st: hours). */
  erase(): Promise<void>;
  /** Writes end of data at the current position (SCSI ERASE, LONG=0): at BOT the tape reads blank. */
  shortErase?(): Promise<void>;
  /** Writes whole blocks at the current position (a write mid-tape discards what follows). */
  write(data: Uint8Array): Promise<WriteOutcome>;
  /** `write` that returns once the blocks are placed, before they land (QueuedWrite); the vtl. */
  writeQueued?(data: Uint8Array): Promise<QueuedWrite>;
  /** Reads up to `maxBytes` (whole blocks) from the current tape file. */
  read(maxBytes: number): Promise<ReadOutcome>;
  /** Writes one tape file at the current position; ending the stream writes its file mark. */
  openWriteStream(): Promise<WriteHandle>;
  /** Reads the tape file at the current position up to its file mark. */
  openReadStream(): Promise<ReadHandle>;
  /** Releases the device (and the vtl drive lock). */
  close(): Promise<void>;
}

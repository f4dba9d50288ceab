import { DriveError } from "../../errors.ts";
import { createBlockReadStream, createBlockWriteStream } from "../block-streams.ts";
import type {
  Drive,
  DriveStatus,
  QueuedWrite,
  ReadHandle,
  ReadOutcome,
  WriteHandle,
  WriteOutcome,
} from "../drive.ts";
import {
  type DriveCounters,
  type DriveState,
  freshDriveState,
  loadDriveState,
  saveDriveState,
  statusOf,
} from "./drive-state.ts";
import { libraryPaths, readLibrary, unloadCartridge } from "./library.ts";
import { acquireLock, type HeldLock } from "./lock.ts";
import { TapeMedium } from "./medium.ts";
import { addressOf, endOfData, isEndOfData, positionAt } from "./tape-address.ts";

export type { DriveCounters };

const MAX_BLOCK_SIZE = 16 << 20;
/**
 * What one write of the vtl hands the kernel by default: pooled buffers go to the disk with
 * O_DIRECT (docs/adr/0027), where fewer, larger writes cost less CPU per GB (bench/README.md).
 */
export const DEFAULT_VTL_WRITE_BYTES = 1 << 20;

export type VtlDriveOptions = {
  dir: string;
  index: number;
  /** Largest write the pipeline hands this drive (whole blocks; at least one block). */
  writeBytes?: number;
};

/** A drive of the virtual library with the Linux st driver's semantics (see design.md "st driver facts"). */
export class VtlDrive implements Drive {
  readonly name: string;
  /** The "device" is this process's own code: a writer needs no mbuffer process to feed it. */
  readonly inProcess = true;
  /** A file-backed drive never stops to reposition: nothing to shoe-shine. */
  readonly minStreamingBytesPerSec = null;
  private medium: TapeMedium | null = null;
  /** The last operation wrote data: the next movement or close writes a file mark first, as st does. */
  private pendingFilemark = false;
  private eodReads = 0;
  private earlyWarningPhase: "none" | "refuse-next" | "allow-next" = "none";

  private constructor(
    readonly dir: string,
    readonly index: number,
    private readonly lock: HeldLock,
    private state: DriveState,
    private readonly writeBytes: number,
  ) {
    this.name = `vtl:${dir}#${index}`;
  }

  /** Opens drive `index`; fails with DRIVE_BUSY while another process (or handle) has it open. */
  static async open({
    dir,
    index,
    writeBytes = DEFAULT_VTL_WRITE_BYTES,
  }: VtlDriveOptions): Promise<VtlDrive> {
    if (!Number.isInteger(writeBytes) || writeBytes < 1)
      throw new DriveError("INVALID_ARGUMENT", `vtl write size ${writeBytes} is not a positive integer`);
    const library = await readLibrary(dir);
    const slot = library.drives.find((d) => d.index === index);
    if (!slot)
      throw new DriveError(
        "INVALID_ARGUMENT",
        `no drive ${index} in ${dir} (drives are 0..${library.drives.length - 1})`,
      );
    const paths = libraryPaths(dir);
    const lock = await acquireLock(paths.driveLock(index), `drive ${index} of ${dir}`);
    try {
      const state =
        (await loadDriveState(paths.driveState(index))) ?? freshDriveState(library.defaultBlockSize);
      const drive = new VtlDrive(dir, index, lock, state, writeBytes);
      if (slot.barcode) drive.medium = await TapeMedium.open(paths.cartridge(slot.barcode));
      return drive;
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  /**
   * The drive's write size, and never more than a quarter of the cartridge's early-warning zone:
   * the write that crosses early warning still fits, with room after it for the file marks and
   * the TOC (st allows every second write there).
   */
  get maxTransferBytes(): number {
    if (!this.medium) return this.writeBytes;
    return Math.min(this.writeBytes, earlyWarningTransfer(this.medium.meta.earlyWarningBytes));
  }

  get barcode(): string | null {
    return this.medium?.meta.barcode ?? null;
  }

  /** Blocks moved since the cartridge was loaded; lets tests prove a restore read only what it needed. */
  counters(): DriveCounters {
    return { ...this.state.counters };
  }

  /** Path of tape file `n` of the loaded cartridge, for reading it as a plain file. */
  tapeFilePath(n: number): string {
    return this.requireMedium().dataPath(n);
  }

  async status(): Promise<DriveStatus> {
    const status = statusOf({
      state: this.state,
      barcode: this.medium?.meta.barcode ?? null,
      writeProtected: this.medium?.meta.writeProtected ?? false,
      atEndOfData: this.atEndOfData(),
      pastEarlyWarning: this.earlyWarningPhase !== "none",
    });
    return { ...status, capacityBytes: this.medium?.meta.capacityBytes ?? null };
  }

  async load(): Promise<void> {
    if (!this.medium)
      throw new DriveError(
        "NO_CARTRIDGE",
        `${this.name}: no cartridge in the drive; load one with the changer`,
      );
    this.state.online = true;
    this.moveTo(0, 0, true);
  }

  async unload(): Promise<void> {
    await this.rewind();
    this.state.online = false;
  }

  async eject(): Promise<void> {
    await this.unload();
    await this.saveState();
    await this.medium?.close();
    this.medium = null;
    await unloadCartridge({ dir: this.dir, drive: this.index, driveLockHeld: true });
  }

  async rewind(): Promise<void> {
    await this.settle();
    this.moveTo(0, 0, true);
  }

  async forwardSpaceFiles(count: number): Promise<void> {
    const medium = await this.settle();
    assertCount(count);
    let { file } = this.state;
    for (let crossed = 0; crossed < count; crossed++) {
      if (!medium.fileMeta(file)?.marked) {
        this.moveToEndOfData(medium);
        throw new DriveError(
          "IO_ERROR",
          `${this.name}: end of data after spacing over ${crossed} of ${count} file marks`,
        );
      }
      file++;
    }
    this.moveTo(file, 0, this.state.fileKnown);
    this.state.blockKnown = true;
  }

  async backSpaceFiles(count: number): Promise<void> {
    const medium = await this.settle();
    assertCount(count);
    const target = this.state.file - count;
    if (target < 0) {
      this.moveTo(0, 0, true);
      throw new DriveError(
        "IO_ERROR",
        `${this.name}: reached the beginning of tape before ${count} file marks`,
      );
    }
    // Lands on the BOT side of the mark: the end of file `target`. st no longer knows the block number.
    this.moveTo(target, medium.blocksIn(target), this.state.fileKnown);
    this.state.blockKnown = false;
  }

  async spaceToEndOfData(): Promise<void> {
    this.moveToEndOfData(await this.settle());
  }

  async writeFileMarks(count: number): Promise<void> {
    assertCount(count);
    const medium = this.requireWritable();
    for (let i = 0; i < count; i++) {
      const file = await this.fileForWriting(medium);
      await medium.markFile(file);
      this.state.file = file + 1;
      this.state.block = 0;
      this.state.counters.filemarksWritten++;
    }
    this.pendingFilemark = false;
  }

  async locate(block: number): Promise<void> {
    const medium = await this.settle();
    if (!Number.isInteger(block) || block < 0) {
      throw new DriveError("INVALID_ARGUMENT", `bad block address ${block}`);
    }
    const target = positionAt(medium, block);
    if (!target) {
      this.moveToEndOfData(medium);
      throw new DriveError("IO_ERROR", `${this.name}: block ${block} is beyond the end of data`);
    }
    // st forgets file and block numbers after a locate, except at BOT.
    this.moveTo(target.file, target.block, block === 0);
  }

  async tell(): Promise<number> {
    return addressOf(this.requireMedium(), this.state.file, this.state.block);
  }

  async setBlockSize(bytes: number): Promise<void> {
    if (bytes === 0)
      throw new DriveError("INVALID_ARGUMENT", "the virtual library supports fixed block sizes only");
    if (!Number.isInteger(bytes) || bytes < 0 || bytes > MAX_BLOCK_SIZE) {
      throw new DriveError("INVALID_ARGUMENT", `block size ${bytes} is outside 1..${MAX_BLOCK_SIZE}`);
    }
    this.state.blockSize = bytes;
  }

  async erase(): Promise<void> {
    const medium = this.requireWritable();
    if (!this.atEndOfData()) await medium.truncateFrom(this.state.file, this.state.block);
    this.pendingFilemark = false;
  }

  async write(data: Uint8Array): Promise<WriteOutcome> {
    const placed = await this.writeQueued(data);
    await placed.landed;
    return placed.outcome;
  }

  /**
   * The cartridge is a file: a write is placed (position, early warning, its outcome) at once and
   * lands in the file while the next one is placed, as a real drive's buffer takes writes ahead.
   */
  async writeQueued(data: Uint8Array): Promise<QueuedWrite> {
    const medium = this.requireWritable();
    const { blockSize } = this.state;
    if (data.length === 0 || data.length % blockSize !== 0) {
      throw new DriveError(
        "INVALID_ARGUMENT",
        `write of ${data.length} bytes is not a whole number of ${blockSize}-byte blocks`,
      );
    }
    const file = await this.fileForWriting(medium);
    const used = medium.usedBytes;
    // st facts: the write crossing early warning succeeds; then ENOSPC and success alternate.
    const inZone = used >= medium.earlyWarningMark;
    if (inZone && this.earlyWarningPhase === "refuse-next") {
      this.earlyWarningPhase = "allow-next";
      return { outcome: { type: "end-of-medium" }, landed: Promise.resolve() };
    }
    if (used + data.length > medium.meta.capacityBytes) {
      throw new DriveError(
        "VOLUME_OVERFLOW",
        `${this.name}: physical end of tape ${medium.meta.barcode}; load another cartridge`,
      );
    }
    const landed = medium.queueBlocks(file, data);
    landed.catch(() => undefined);
    const blocks = data.length / blockSize;
    this.state.block += blocks;
    this.state.counters.blocksWritten += blocks;
    this.state.counters.bytesWritten += data.length;
    this.pendingFilemark = true;
    const earlyWarning = inZone || used + data.length >= medium.earlyWarningMark;
    if (earlyWarning) this.earlyWarningPhase = "refuse-next";
    return { outcome: { type: "written", bytes: data.length, blocks, earlyWarning }, landed };
  }

  async read(maxBytes: number): Promise<ReadOutcome> {
    const medium = await this.settle({ keepPhase: true });
    const { blockSize } = this.state;
    if (maxBytes < blockSize)
      throw new DriveError(
        "INVALID_ARGUMENT",
        `read of ${maxBytes} bytes is smaller than a ${blockSize}-byte block`,
      );
    if (this.atEndOfData()) {
      // st: end of data reads as 0 bytes twice, then EIO.
      if (++this.eodReads > 2) throw new DriveError("IO_ERROR", `${this.name}: read past end of data`);
      return { type: "eod" };
    }
    const { file, block } = this.state;
    const meta = medium.fileMeta(file);
    if (block < medium.blocksIn(file)) {
      if (meta && meta.blockSize !== blockSize) {
        throw new DriveError(
          "BLOCK_SIZE_MISMATCH",
          `tape file ${file} has ${meta.blockSize}-byte blocks but the drive is set to ${blockSize}`,
        );
      }
      const data = await medium.readBlocks(file, block, Math.floor(maxBytes / blockSize));
      const blocks = data.length / blockSize;
      this.state.block += blocks;
      this.state.counters.blocksRead += blocks;
      this.state.counters.bytesRead += data.length;
      return { type: "data", data };
    }
    this.moveTo(file + 1, 0, this.state.fileKnown);
    this.state.blockKnown = true;
    return { type: "filemark" };
  }

  async openWriteStream(): Promise<WriteHandle> {
    const medium = this.requireWritable();
    const fileNumber =
      this.atEndOfData() && this.state.file >= medium.fileCount ? medium.fileCount : this.state.file;
    return createBlockWriteStream(this, this.state.blockSize, fileNumber);
  }

  async openReadStream(): Promise<ReadHandle> {
    await this.settle({ keepPhase: true });
    return createBlockReadStream(this, this.state.blockSize, this.state.file);
  }

  async close(): Promise<void> {
    try {
      if (this.medium && this.pendingFilemark) await this.writeFileMarks(1);
      await this.saveState();
    } finally {
      // A write that failed to land fails the file mark; the cartridge file is closed all the same.
      try {
        await this.medium?.close();
      } finally {
        await this.lock.release();
      }
    }
  }

  private atEndOfData(): boolean {
    return this.medium !== null && isEndOfData(this.medium, this.state.file, this.state.block);
  }

  private moveToEndOfData(medium: TapeMedium): void {
    const end = endOfData(medium);
    this.moveTo(end.file, end.block, this.state.fileKnown);
    this.state.blockKnown = true;
  }

  private moveTo(file: number, block: number, known: boolean): void {
    Object.assign(this.state, { file, block, fileKnown: known, blockKnown: known });
    this.eodReads = 0;
    this.earlyWarningPhase = "none";
  }

  /** The file a write at the current position goes into; writing mid-tape discards everything after. */
  private async fileForWriting(medium: TapeMedium): Promise<number> {
    const { file, block, blockSize } = this.state;
    if (file >= medium.fileCount) return medium.startFile(blockSize);
    const meta = medium.fileMeta(file);
    const appending = file === medium.fileCount - 1 && !meta?.marked && block === medium.blocksIn(file);
    if (!appending) await medium.truncateFrom(file, block);
    if (meta && meta.blockSize !== blockSize) {
      if (block > 0) {
        throw new DriveError(
          "BLOCK_SIZE_MISMATCH",
          `tape file ${file} has ${meta.blockSize}-byte blocks; cannot append ${blockSize}-byte blocks`,
        );
      }
      meta.blockSize = blockSize;
    }
    return file;
  }

  // Any movement after a write first closes the file with a mark, as st does on the non-rewinding device.
  private async settle(options: { keepPhase?: boolean } = {}): Promise<TapeMedium> {
    const medium = this.requireMedium();
    if (this.pendingFilemark) {
      const phase = this.earlyWarningPhase;
      await this.writeFileMarks(1);
      if (options.keepPhase) this.earlyWarningPhase = phase;
    }
    return medium;
  }

  private requireMedium(): TapeMedium {
    if (!this.medium) throw new DriveError("NO_CARTRIDGE", `${this.name}: no cartridge loaded`);
    if (!this.state.online)
      throw new DriveError(
        "NOT_READY",
        `${this.name}: cartridge ${this.medium.meta.barcode} is unloaded; run load`,
      );
    return this.medium;
  }

  private requireWritable(): TapeMedium {
    const medium = this.requireMedium();
    if (medium.meta.writeProtected) {
      throw new DriveError(
        "WRITE_PROTECTED",
        `${this.name}: cartridge ${medium.meta.barcode} is write-protected`,
      );
    }
    return medium;
  }

  private async saveState(): Promise<void> {
    await saveDriveState(libraryPaths(this.dir).driveState(this.index), this.state);
  }
}

/** The largest write a cartridge with this early-warning zone takes (see VtlDrive.maxTransferBytes). */
export function earlyWarningTransfer(earlyWarningBytes: number): number {
  return Math.floor(earlyWarningBytes / 4);
}

function assertCount(count: number): void {
  if (!Number.isInteger(count) || count < 1)
    throw new DriveError("INVALID_ARGUMENT", `count must be a positive integer, got ${count}`);
}

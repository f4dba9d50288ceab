import { constants } from "node:fs";
import { type FileHandle, open, readdir } from "node:fs/promises";
import { basename } from "node:path";
import { DriveError } from "../../errors.ts";
import { type RunCommand, runCommand } from "../../exec.ts";
import { createBlockReadStream, createBlockWriteStream } from "../block-streams.ts";
import {
  DEFAULT_BLOCK_SIZE,
  type Drive,
  type DriveStatus,
  MAX_TRANSFER_BYTES,
  type ReadHandle,
  type ReadOutcome,
  type WriteHandle,
  type WriteOutcome,
} from "../drive.ts";
import { capacityOfBarcode, capacityOfGeneration } from "../media-capacity.ts";
import { buildMtArgv, type MtOperation } from "./mt-argv.ts";
import { type ErrorCounterPage, parseErrorCounters } from "./parse-error-counters.ts";
import { parseMtStatus, parseMtTell } from "./parse-mt-status.ts";
import { parseReadAttr } from "./parse-read-attr.ts";
import { parseTapeAlerts } from "./parse-tape-alert.ts";

export type StDriveOptions = {
  device: string;
  sgDevice?: string | null;
  run?: RunCommand;
  signal?: AbortSignal;
};

/**
 * A Linux SCSI tape drive: control through mt-st on the non-rewinding device, data through the
 * device itself. st allows one open at a time, so the data handle is closed before each mt call;
 * closing after a write is what makes st write the file mark.
 */
export class StDrive implements Drive {
  readonly name: string;
  /** LTO's early-warning zone holds gigabytes: any transfer of the agent's fits past it. */
  readonly maxTransferBytes = MAX_TRANSFER_BYTES;
  private data: { fh: FileHandle; mode: "read" | "write" } | null = null;
  private blockSize = DEFAULT_BLOCK_SIZE;
  private readonly run: RunCommand;

  constructor(private readonly options: StDriveOptions) {
    if (!/\/n(st|sa)\d+[lma]?$/.test(options.device)) {
      throw new DriveError(
        "INVALID_ARGUMENT",
        `${options.device} rewinds on close; use the non-rewinding device (/dev/nstN)`,
      );
    }
    this.name = options.device;
    this.run = options.run ?? runCommand;
  }

  async status(): Promise<DriveStatus> {
    const parsed = parseMtStatus(await this.mt({ op: "status" }));
    const memory = await this.cartridgeMemory().catch(() => null);
    const barcode = memory?.barcode ?? null;
    const fromMemory = memory?.maximumCapacityMiB ? memory.maximumCapacityMiB * 1024 * 1024 : null;
    const capacityBytes = fromMemory ?? capacityOfBarcode(barcode) ?? capacityOfGeneration(parsed.generation);
    return { ...parsed, barcode, capacityBytes: parsed.flags.online ? capacityBytes : null };
  }

  load = () => this.mtVoid({ op: "load" });
  unload = () => this.mtVoid({ op: "offline" });
  eject = () => this.mtVoid({ op: "eject" });
  rewind = () => this.mtVoid({ op: "rewind" });
  forwardSpaceFiles = (count: number) => this.mtVoid({ op: "fsf", count });
  backSpaceFiles = (count: number) => this.mtVoid({ op: "bsf", count });
  spaceToEndOfData = () => this.mtVoid({ op: "eod" });
  locate = (block: number) => this.mtVoid({ op: "seek", block });
  erase = () => this.mtVoid({ op: "erase" });
  shortErase = () => this.mtVoid({ op: "short-erase" });

  async writeFileMarks(count: number): Promise<void> {
    // Closing after a write already wrote one mark.
    const closedAfterWrite = this.data?.mode === "write";
    await this.closeData();
    if (closedAfterWrite) count--;
    if (count > 0) await this.mtVoid({ op: "weof", count });
  }

  async tell(): Promise<number> {
    return parseMtTell(await this.mt({ op: "tell" }));
  }

  async setBlockSize(bytes: number): Promise<void> {
    await this.mtVoid({ op: "setblk", bytes });
    this.blockSize = bytes;
  }

  async write(data: Uint8Array): Promise<WriteOutcome> {
    const fh = await this.dataHandle("write");
    try {
      const { bytesWritten } = await fh.write(data);
      // st reports early warning only through the next write's ENOSPC.
      return {
        type: "written",
        bytes: bytesWritten,
        blocks: bytesWritten / (this.blockSize || bytesWritten),
        earlyWarning: false,
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOSPC") return { type: "end-of-medium" };
      throw this.ioError(error, "write");
    }
  }

  async read(maxBytes: number): Promise<ReadOutcome> {
    const fh = await this.dataHandle("read");
    const buffer = Buffer.allocUnsafe(maxBytes);
    try {
      const { bytesRead } = await fh.read(buffer, 0, maxBytes, null);
      if (bytesRead > 0) return { type: "data", data: buffer.subarray(0, bytesRead) };
    } catch (error) {
      throw this.ioError(error, "read");
    }
    // A file mark and end of data both read as 0 bytes; the status flags tell them apart.
    await this.closeData();
    const status = parseMtStatus(await this.mt({ op: "status" }));
    return status.flags.eod ? { type: "eod" } : { type: "filemark" };
  }

  async openWriteStream(): Promise<WriteHandle> {
    const status = parseMtStatus(await this.mt({ op: "status" }));
    return createBlockWriteStream(this, this.blockSize || DEFAULT_BLOCK_SIZE, status.fileNumber);
  }

  async openReadStream(): Promise<ReadHandle> {
    const status = parseMtStatus(await this.mt({ op: "status" }));
    return createBlockReadStream(this, this.blockSize || DEFAULT_BLOCK_SIZE, status.fileNumber);
  }

  async close(): Promise<void> {
    await this.closeData();
  }

  /** TapeAlert flags from the drive's log page 0x2e (needs sg3-utils and the drive's sg node). */
  async tapeAlerts() {
    const sg = await this.sgDevice();
    const result = await this.run({
      argv: ["sg_logs", "-p", "0x2e", sg],
      signal: this.options.signal,
      timeoutMs: 30_000,
    });
    if (result.exitCode !== 0) throw new DriveError("COMMAND_FAILED", `sg_logs: ${result.stderr.trim()}`);
    return parseTapeAlerts(result.stdout);
  }

  /** Write (page 0x02) and read (0x03) error counters: corrected, uncorrected, bytes processed. */
  async errorCounters(): Promise<{ write: ErrorCounterPage; read: ErrorCounterPage }> {
    const sg = await this.sgDevice();
    const page = async (code: string) => {
      const result = await this.run({
        argv: ["sg_logs", "-p", code, sg],
        signal: this.options.signal,
        timeoutMs: 30_000,
      });
      if (result.exitCode !== 0) throw new DriveError("COMMAND_FAILED", `sg_logs: ${result.stderr.trim()}`);
      return parseErrorCounters(result.stdout);
    };
    return { write: await page("0x2"), read: await page("0x3") };
  }

  /** Cartridge memory (MAM): barcode, manufacturer, serial, load count, remaining capacity. */
  async cartridgeMemory() {
    const sg = await this.sgDevice();
    const result = await this.run({
      argv: ["sg_read_attr", sg],
      signal: this.options.signal,
      timeoutMs: 30_000,
    });
    if (result.exitCode !== 0)
      throw new DriveError("COMMAND_FAILED", `sg_read_attr: ${result.stderr.trim()}`);
    return parseReadAttr(result.stdout);
  }

  private async sgDevice(): Promise<string> {
    if (this.options.sgDevice) return this.options.sgDevice;
    // sysfs links each st device to its SCSI generic node.
    const name = basename(this.options.device)
      .replace(/^n/, "")
      .replace(/[lma]$/, "");
    const entries = await readdir(`/sys/class/scsi_tape/${name}/device/scsi_generic`).catch(() => []);
    if (!entries[0])
      throw new DriveError(
        "NOT_FOUND",
        `no SCSI generic device for ${this.options.device}; pass --sg /dev/sgN`,
      );
    return `/dev/${entries[0]}`;
  }

  private async dataHandle(mode: "read" | "write"): Promise<FileHandle> {
    if (this.data?.mode === mode) return this.data.fh;
    await this.closeData();
    try {
      const fh = await open(this.options.device, mode === "write" ? constants.O_WRONLY : constants.O_RDONLY);
      this.data = { fh, mode };
      return fh;
    } catch (error) {
      throw this.ioError(error, "open");
    }
  }

  private async closeData(): Promise<void> {
    const data = this.data;
    this.data = null;
    await data?.fh.close();
  }

  private async mt(operation: MtOperation): Promise<string> {
    await this.closeData();
    const argv = buildMtArgv(this.options.device, operation);
    const result = await this.run({
      argv,
      signal: this.options.signal,
      timeoutMs: operation.op === "erase" ? 6 * 3600_000 : 3600_000,
    });
    if (result.exitCode !== 0) {
      const message = `${argv.join(" ")} failed: ${result.stderr.trim() || `exit ${result.exitCode}`}`;
      if (/busy/i.test(result.stderr)) throw new DriveError("DRIVE_BUSY", message);
      if (/no medium|not ready/i.test(result.stderr)) throw new DriveError("NO_CARTRIDGE", message);
      throw new DriveError("IO_ERROR", message);
    }
    return result.stdout;
  }

  private async mtVoid(operation: MtOperation): Promise<void> {
    await this.mt(operation);
  }

  private ioError(error: unknown, what: string): DriveError {
    const code = (error as NodeJS.ErrnoException).code;
    const message = `${this.name}: ${what} failed (${code ?? "unknown"})`;
    if (code === "EBUSY") return new DriveError("DRIVE_BUSY", message, { cause: error });
    if (code === "EACCES" || code === "EROFS")
      return new DriveError("WRITE_PROTECTED", message, { cause: error });
    if (code === "ENOMEDIUM") return new DriveError("NO_CARTRIDGE", message, { cause: error });
    if (code === "ENOMEM")
      return new DriveError("BLOCK_SIZE_MISMATCH", `${message}: block larger than the read`, {
        cause: error,
      });
    return new DriveError(code === "EIO" ? "MEDIUM_ERROR" : "IO_ERROR", message, { cause: error });
  }
}

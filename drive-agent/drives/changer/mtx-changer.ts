import { DriveError } from "../../errors.ts";
import { type RunCommand, runCommand } from "../../exec.ts";
import {
  buildMtxArgv,
  type ChangerInventory,
  type MtxOperation,
  parseMtxStatus,
} from "./parse-mtx-status.ts";

/** A SCSI media changer (autoloader or library) driven by mtx on its sg node. */
export class MtxChanger {
  private readonly run: RunCommand;

  constructor(private readonly options: { device: string; run?: RunCommand; signal?: AbortSignal }) {
    this.run = options.run ?? runCommand;
  }

  async inventory(): Promise<ChangerInventory> {
    return parseMtxStatus(await this.mtx({ op: "status" }));
  }

  /** Asks the changer to re-scan its barcodes (slow on big libraries), then reports the result. */
  async rescan(): Promise<ChangerInventory> {
    await this.mtx({ op: "inventory" });
    return this.inventory();
  }

  async load(slot: number, drive: number): Promise<void> {
    await this.mtx({ op: "load", slot, drive });
  }

  async unload(slot: number, drive: number): Promise<void> {
    await this.mtx({ op: "unload", slot, drive });
  }

  async transfer(from: number, to: number): Promise<void> {
    await this.mtx({ op: "transfer", from, to });
  }

  private async mtx(operation: MtxOperation): Promise<string> {
    const argv = buildMtxArgv(this.options.device, operation);
    // Robot moves take minutes on big libraries; an inventory can take longer.
    const result = await this.run({ argv, signal: this.options.signal, timeoutMs: 30 * 60_000 });
    if (result.exitCode === 0) return result.stdout;
    const message = `${argv.join(" ")} failed: ${(result.stderr || result.stdout).trim() || `exit ${result.exitCode}`}`;
    if (/busy|not ready/i.test(result.stderr)) throw new DriveError("DRIVE_BUSY", message);
    throw new DriveError("CHANGER_ERROR", message);
  }
}

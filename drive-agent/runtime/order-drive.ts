import type { ChangerSetup, DriveSetup } from "../config.ts";
import { MtxChanger } from "../drives/changer/mtx-changer.ts";
import type { Drive } from "../drives/drive.ts";
import {
  inventoryOf,
  loadCartridge,
  readLibrary,
  transferCartridge,
  unloadCartridge,
} from "../drives/vtl/library.ts";
import { DriveError } from "../errors.ts";
import type { Robot, TapeChanger } from "../orders/types.ts";
import { changerInventory, openSetupDrive } from "./hardware.ts";

/**
 * The drive an executor gets: one object for the whole order, even when a changer swaps the
 * cartridge underneath (a vtl drive must be closed and reopened around a changer move).
 */
class OrderDrive implements Drive {
  constructor(
    private current: Drive,
    private readonly reopen: () => Promise<Drive>,
  ) {}
  get name() {
    return this.current.name;
  }
  get maxTransferBytes() {
    return this.current.maxTransferBytes;
  }
  async swap(move: () => Promise<void>): Promise<void> {
    await this.current.close();
    try {
      await move();
    } finally {
      this.current = await this.reopen();
    }
  }
  status = () => this.current.status();
  load = () => this.current.load();
  unload = () => this.current.unload();
  eject = () => this.current.eject();
  rewind = () => this.current.rewind();
  forwardSpaceFiles = (count: number) => this.current.forwardSpaceFiles(count);
  backSpaceFiles = (count: number) => this.current.backSpaceFiles(count);
  spaceToEndOfData = () => this.current.spaceToEndOfData();
  writeFileMarks = (count: number) => this.current.writeFileMarks(count);
  locate = (block: number) => this.current.locate(block);
  tell = () => this.current.tell();
  setBlockSize = (bytes: number) => this.current.setBlockSize(bytes);
  erase = () => this.current.erase();
  shortErase = () => (this.current.shortErase ? this.current.shortErase() : this.current.erase());
  write = (data: Uint8Array) => this.current.write(data);
  read = (maxBytes: number) => this.current.read(maxBytes);
  openWriteStream = () => this.current.openWriteStream();
  openReadStream = () => this.current.openReadStream();
  close = () => this.current.close();
}

export async function openOrderDrive(
  setup: DriveSetup,
  changerSetup: ChangerSetup | null,
  signal: AbortSignal,
): Promise<{ drive: Drive; changer: TapeChanger | null; robot: Robot | null }> {
  const drive = new OrderDrive(await openSetupDrive(setup), () => openSetupDrive(setup));
  if (!changerSetup) return { drive, changer: null, robot: null };
  const index = setup.kind === "vtl" ? setup.index : setup.changerIndex;
  if (index === null) return { drive, changer: null, robot: null };
  const robot = robotOf(drive, changerSetup, index, signal);
  const inventory = async () => {
    const inv = await changerInventory(changerSetup);
    return [...inv.drives, ...inv.slots].map((p) => p.barcode).filter((b): b is string => b !== null);
  };
  const loadTape =
    changerSetup.kind === "vtl"
      ? async (barcode: string) => {
          const dir = changerSetup.library;
          let lib = await readLibrary(dir);
          if (lib.drives.find((d) => d.index === index)?.barcode === barcode) return;
          const elsewhere = lib.drives.find((d) => d.barcode === barcode);
          if (elsewhere) {
            // Left in another drive (labelled there): the robot takes it home first; fails while
            // that drive is in use (its lock is held), and the caller may try again later.
            await unloadCartridge({ dir, drive: elsewhere.index });
            lib = await readLibrary(dir);
          }
          const slot = lib.slots.find((s) => s.barcode === barcode);
          if (!slot) throw notInChanger(barcode);
          await drive.swap(async () => {
            if (lib.drives.find((d) => d.index === index)?.barcode)
              await unloadCartridge({ dir, drive: index });
            await loadCartridge({ dir, slot: slot.slot, drive: index });
          });
        }
      : async (barcode: string) => {
          const mtx = new MtxChanger({ device: changerSetup.device, signal });
          const inv = await mtx.inventory();
          const here = inv.drives.find((d) => d.index === index);
          if (here?.barcode === barcode) return;
          const slot = inv.slots.find((s) => s.barcode === barcode);
          if (!slot) throw notInChanger(barcode);
          await drive.swap(async () => {
            if (here?.full) {
              const home = here.sourceSlot ?? inv.slots.find((s) => !s.full && !s.importExport)?.slot;
              if (home === undefined) throw new DriveError("CHANGER_ERROR", "no empty slot to unload into");
              await drive.unload();
              await mtx.unload(home, index);
            }
            await mtx.load(slot.slot, index);
          });
        };
  const unloadTape =
    changerSetup.kind === "vtl"
      ? async () => {
          const dir = changerSetup.library;
          if (!(await readLibrary(dir)).drives.find((d) => d.index === index)?.barcode) return null;
          let slot = null as number | null;
          await drive.rewind();
          await drive.swap(async () => {
            slot = (await unloadCartridge({ dir, drive: index })).slot;
          });
          return slot;
        }
      : async () => {
          const mtx = new MtxChanger({ device: changerSetup.device, signal });
          const inv = await mtx.inventory();
          const here = inv.drives.find((d) => d.index === index);
          if (!here?.full) return null;
          const home =
            (here.sourceSlot !== null && !inv.slots.find((s) => s.slot === here.sourceSlot)?.full
              ? here.sourceSlot
              : undefined) ?? inv.slots.find((s) => !s.full && !s.importExport)?.slot;
          if (home === undefined)
            throw new DriveError("CHANGER_ERROR", "no empty slot to return the cartridge to; free one");
          // mt offline rewinds and unthreads; only then can the robot take the cartridge.
          await drive.unload();
          await drive.swap(() => mtx.unload(home, index));
          return home;
        };
  return { drive, changer: { loadTape, inventory, unloadTape }, robot };
}

/** Moves through the order's drive: a vtl drive is closed around a move into or out of it. */
function robotOf(drive: OrderDrive, setup: ChangerSetup, index: number, signal: AbortSignal): Robot {
  if (setup.kind === "vtl") {
    const dir = setup.library;
    return {
      driveIndex: index,
      inventory: async () => inventoryOf(await readLibrary(dir)),
      rescan: async () => inventoryOf(await readLibrary(dir)),
      load: async (slot) => {
        let cleaning: Awaited<ReturnType<Robot["load"]>>["cleaning"] = null;
        await drive.swap(async () => {
          cleaning = (await loadCartridge({ dir, slot, drive: index })).cleaning ?? null;
        });
        return { cleaning };
      },
      unload: async (slot) => {
        let to = -1;
        await drive.rewind().catch(() => {});
        await drive.swap(async () => {
          to = (await unloadCartridge({ dir, drive: index, slot: slot ?? undefined })).slot;
        });
        return to;
      },
      transfer: async (from, to) => {
        await transferCartridge({ dir, from, to });
      },
    };
  }
  const mtx = new MtxChanger({ device: setup.device, signal });
  return {
    driveIndex: index,
    inventory: () => mtx.inventory(),
    rescan: () => mtx.rescan(),
    load: async (slot) => {
      const barcode = (await mtx.inventory()).slots.find((s) => s.slot === slot)?.barcode ?? "";
      await drive.swap(() => mtx.load(slot, index));
      // A real drive runs a cleaning cartridge by itself and unthreads it when done.
      if (barcode.startsWith("CLN")) await waitForCleaning(drive, signal);
      return { cleaning: null };
    },
    unload: async (slot) => {
      const inv = await mtx.inventory();
      const here = inv.drives.find((d) => d.index === index);
      if (!here?.full) throw new DriveError("CHANGER_ERROR", `drive ${index} is empty`);
      const target =
        slot ??
        (here.sourceSlot !== null && !inv.slots.find((s) => s.slot === here.sourceSlot)?.full
          ? here.sourceSlot
          : inv.slots.find((s) => !s.full && !s.importExport)?.slot);
      if (target === undefined) throw new DriveError("CHANGER_ERROR", "no empty slot to unload into");
      if (!here.barcode?.startsWith("CLN")) await drive.unload();
      await drive.swap(() => mtx.unload(target, index));
      return target;
    },
    transfer: (from, to) => mtx.transfer(from, to),
  };
}

/** LTO drives clean in a minute or two, then report not-ready with the cartridge unthreaded. */
async function waitForCleaning(drive: Drive, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + 10 * 60_000;
  while (Date.now() < deadline) {
    signal.throwIfAborted();
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const status = await drive.status().catch(() => null);
    if (status && !status.flags.online) return;
  }
  throw new DriveError("COMMAND_FAILED", `${drive.name} did not finish cleaning within 10 minutes`);
}

function notInChanger(barcode: string): DriveError {
  return new DriveError("NOT_FOUND", `cartridge ${barcode} is not in a slot of the changer; insert it`);
}

import { access, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { DriveError } from "../../errors.ts";
import type { ChangerInventory } from "../changer/parse-mtx-status.ts";
import { DEFAULT_BLOCK_SIZE, MAX_TRANSFER_BYTES } from "../drive.ts";
import { recordCleaning } from "./health.ts";
import { acquireLock, type HeldLock } from "./lock.ts";
import { TapeMedium } from "./medium.ts";

/**
 * A virtual tape library on disk:
 *   library.json                 changer map: which cartridge is in which slot or drive
 *   cartridges/<BARCODE>/        cartridge.json + file-0000, file-0001, ... (one plain file per tape file)
 *   drives/<n>/state.json, lock  position of the loaded cartridge; lock held while a process uses the drive
 */
const LibrarySchema = z.object({
  version: z.literal(1),
  defaultBlockSize: z.number().int().positive(),
  drives: z.array(
    z.object({
      index: z.number().int(),
      barcode: z.string().nullable(),
      sourceSlot: z.number().int().nullable(),
    }),
  ),
  slots: z.array(
    z.object({ slot: z.number().int(), barcode: z.string().nullable(), importExport: z.boolean() }),
  ),
});
export type Library = z.infer<typeof LibrarySchema>;

export const libraryPaths = (dir: string) => ({
  library: join(dir, "library.json"),
  changerLock: join(dir, "changer.lock"),
  cartridge: (barcode: string) => join(dir, "cartridges", barcode),
  driveDir: (index: number) => join(dir, "drives", String(index)),
  driveState: (index: number) => join(dir, "drives", String(index), "state.json"),
  driveLock: (index: number) => join(dir, "drives", String(index), "lock"),
});

/** An LTO Universal Cleaning Cartridge is good for about 50 cleanings. */
export const DEFAULT_CLEANING_USES = 50;

export type InitLibraryInput = {
  dir: string;
  drives: number;
  slots: number;
  importExportSlots?: number;
  cartridges?: number;
  capacityBytes: number;
  earlyWarningBytes?: number;
  barcodePrefix?: string;
  /** LTO media suffix on barcodes (L9 = LTO-9), which also sets the reported density code. */
  mediaType?: string;
  /** Cleaning cartridges (CLNA0001, ...) in the slots after the data cartridges. */
  cleaningCartridges?: number;
  cleaningUses?: number;
};

export async function initLibrary(input: InitLibraryInput): Promise<Library> {
  const paths = libraryPaths(input.dir);
  if (await exists(paths.library)) {
    throw new DriveError(
      "INVALID_ARGUMENT",
      `${input.dir} already holds a virtual library; refusing to overwrite it`,
    );
  }
  const cleaning = Array.from(
    { length: input.cleaningCartridges ?? 0 },
    (_, i) => `CLNA${String(i + 1).padStart(4, "0")}`,
  );
  const cartridgeCount = input.cartridges ?? input.slots - cleaning.length;
  if (cartridgeCount + cleaning.length > input.slots)
    throw new DriveError("INVALID_ARGUMENT", "more cartridges than slots");
  const earlyWarningBytes = input.earlyWarningBytes ?? defaultEarlyWarningBytes(input.capacityBytes);
  const data = Array.from(
    { length: cartridgeCount },
    (_, i) => `${input.barcodePrefix ?? "TB"}${String(i + 1).padStart(4, "0")}${input.mediaType ?? "L9"}`,
  );
  const barcodes = [...data, ...cleaning];
  const library: Library = {
    version: 1,
    defaultBlockSize: DEFAULT_BLOCK_SIZE,
    drives: Array.from({ length: input.drives }, (_, index) => ({ index, barcode: null, sourceSlot: null })),
    slots: [
      ...Array.from({ length: input.slots }, (_, i) => ({
        slot: i + 1,
        barcode: barcodes[i] ?? null,
        importExport: false,
      })),
      ...Array.from({ length: input.importExportSlots ?? 1 }, (_, i) => ({
        slot: input.slots + i + 1,
        barcode: null,
        importExport: true,
      })),
    ],
  };
  for (const barcode of barcodes) {
    await TapeMedium.create(paths.cartridge(barcode), {
      barcode,
      capacityBytes: input.capacityBytes,
      earlyWarningBytes,
      writeProtected: false,
      loadCount: 0,
      files: [],
      ...(barcode.startsWith("CLN")
        ? { cleaning: { uses: 0, maxUses: input.cleaningUses ?? DEFAULT_CLEANING_USES } }
        : {}),
    });
  }
  for (const drive of library.drives) await mkdir(paths.driveDir(drive.index), { recursive: true });
  await saveLibrary(input.dir, library);
  return library;
}

/**
 * 2 % of the cartridge, but never less than four of the agent's largest transfers: the write
 * that crosses early warning, the file marks and a TOC must all fit before the physical end.
 * Capped at half the cartridge (the drive then takes smaller writes, see maxTransferBytes).
 */
export function defaultEarlyWarningBytes(capacityBytes: number): number {
  return Math.min(
    Math.floor(capacityBytes / 2),
    Math.max(4 * MAX_TRANSFER_BYTES, Math.floor(capacityBytes / 50)),
  );
}

export async function readLibrary(dir: string): Promise<Library> {
  const text = await readFile(libraryPaths(dir).library, "utf8").catch(() => {
    throw new DriveError(
      "NOT_FOUND",
      `${dir} is not a virtual tape library (no library.json); run drive-agent vtl init`,
    );
  });
  return LibrarySchema.parse(JSON.parse(text));
}

export async function isLibrary(dir: string): Promise<boolean> {
  return exists(libraryPaths(dir).library);
}

export function inventoryOf(library: Library): ChangerInventory {
  return {
    device: null,
    drives: library.drives.map((d) => ({
      index: d.index,
      full: d.barcode !== null,
      sourceSlot: d.sourceSlot,
      barcode: d.barcode,
    })),
    slots: library.slots.map((s) => ({
      slot: s.slot,
      full: s.barcode !== null,
      barcode: s.barcode,
      importExport: s.importExport,
    })),
  };
}

type ChangerOptions = {
  dir: string /** The caller already holds this drive's lock (eject from an open drive). */;
  driveLockHeld?: boolean;
};

export async function loadCartridge(opts: ChangerOptions & { slot: number; drive: number }) {
  return withChanger(opts, opts.drive, async (library) => {
    const slot = slotOf(library, opts.slot);
    const drive = driveOf(library, opts.drive);
    if (!slot.barcode) throw new DriveError("CHANGER_ERROR", `slot ${opts.slot} is empty`);
    if (drive.barcode)
      throw new DriveError("CHANGER_ERROR", `drive ${opts.drive} already holds ${drive.barcode}`);
    const barcode = slot.barcode;
    Object.assign(drive, { barcode, sourceSlot: slot.slot });
    slot.barcode = null;
    const medium = await TapeMedium.open(libraryPaths(opts.dir).cartridge(barcode));
    await medium.countLoad();
    // A freshly loaded cartridge is threaded and at BOT, like an autoloader's load.
    await rm(libraryPaths(opts.dir).driveState(opts.drive), { force: true });
    // A drive runs a loaded cleaning cartridge at once, as LTO drives do.
    const cleaning = medium.meta.cleaning ? { spent: await medium.countCleaning() } : null;
    if (cleaning) await recordCleaning(opts.dir, opts.drive, cleaning.spent);
    return {
      barcode,
      slot: opts.slot,
      drive: opts.drive,
      // Only a cleaning cartridge says how its run went (uses after it, spent).
      ...(cleaning && medium.meta.cleaning ? { cleaning: { ...medium.meta.cleaning, ...cleaning } } : {}),
    };
  });
}

/** Returns the drive's cartridge to `slot`, or to the slot it came from, or the first empty one. */
export async function unloadCartridge(opts: ChangerOptions & { drive: number; slot?: number }) {
  return withChanger(opts, opts.drive, async (library) => {
    const drive = driveOf(library, opts.drive);
    if (!drive.barcode) throw new DriveError("CHANGER_ERROR", `drive ${opts.drive} is empty`);
    const home = library.slots.find((s) => s.slot === drive.sourceSlot && !s.barcode);
    const target =
      opts.slot === undefined
        ? (home ?? library.slots.find((s) => !s.barcode && !s.importExport))
        : slotOf(library, opts.slot);
    if (!target) throw new DriveError("CHANGER_ERROR", "no empty slot to unload into");
    if (target.barcode)
      throw new DriveError("CHANGER_ERROR", `slot ${target.slot} already holds ${target.barcode}`);
    const barcode = drive.barcode;
    target.barcode = barcode;
    Object.assign(drive, { barcode: null, sourceSlot: null });
    await rm(libraryPaths(opts.dir).driveState(opts.drive), { force: true });
    return { barcode, slot: target.slot, drive: opts.drive };
  });
}

export async function transferCartridge(opts: ChangerOptions & { from: number; to: number }) {
  return withChanger(opts, null, async (library) => {
    const from = slotOf(library, opts.from);
    const to = slotOf(library, opts.to);
    if (!from.barcode) throw new DriveError("CHANGER_ERROR", `slot ${opts.from} is empty`);
    if (to.barcode) throw new DriveError("CHANGER_ERROR", `slot ${opts.to} already holds ${to.barcode}`);
    to.barcode = from.barcode;
    from.barcode = null;
    return { barcode: to.barcode, from: opts.from, to: opts.to };
  });
}

export type InsertKind = "blank" | "foreign" | "cleaning";

/**
 * An operator puts a cartridge into a mail slot (the first empty one, or `slot`): one taken out
 * earlier (its files are still on the shelf), or a new one, blank, holding another program's data
 * (an ANSI VOL1 label, as many backup programs write) or a cleaning cartridge.
 */
export async function insertCartridge(opts: {
  dir: string;
  barcode: string;
  kind?: InsertKind;
  slot?: number;
}): Promise<{ barcode: string; slot: number; created: boolean }> {
  return withChanger({ dir: opts.dir }, null, async (library) => {
    if ([...library.drives, ...library.slots].some((p) => p.barcode === opts.barcode))
      throw new DriveError("CHANGER_ERROR", `${opts.barcode} is already in the library`);
    const mail = library.slots.filter((s) => s.importExport);
    const target = opts.slot === undefined ? mail.find((s) => !s.barcode) : slotOf(library, opts.slot);
    if (!target) throw new DriveError("CHANGER_ERROR", "every mail slot is full; take a cartridge out first");
    if (!target.importExport)
      throw new DriveError("INVALID_ARGUMENT", `slot ${target.slot} is not an import/export slot`);
    if (target.barcode)
      throw new DriveError("CHANGER_ERROR", `mail slot ${target.slot} holds ${target.barcode}`);
    const dir = libraryPaths(opts.dir).cartridge(opts.barcode);
    const created = !(await exists(dir));
    if (created) await createCartridge(opts.dir, library, opts.barcode, opts.kind ?? "blank");
    target.barcode = opts.barcode;
    return { barcode: opts.barcode, slot: target.slot, created };
  });
}

/** An operator takes the cartridge out of a mail slot; it stays on the shelf (its files are kept). */
export async function removeCartridge(opts: { dir: string; slot: number }) {
  return withChanger({ dir: opts.dir }, null, async (library) => {
    const slot = slotOf(library, opts.slot);
    if (!slot.importExport)
      throw new DriveError(
        "INVALID_ARGUMENT",
        `slot ${slot.slot} is not an import/export slot; only mail slots open`,
      );
    if (!slot.barcode) throw new DriveError("CHANGER_ERROR", `mail slot ${slot.slot} is empty`);
    const barcode = slot.barcode;
    slot.barcode = null;
    return { barcode, slot: opts.slot };
  });
}

async function createCartridge(dir: string, library: Library, barcode: string, kind: InsertKind) {
  const sibling = [...library.drives, ...library.slots].find((p) => p.barcode)?.barcode;
  const like = sibling ? await TapeMedium.readMeta(libraryPaths(dir).cartridge(sibling)) : null;
  const capacityBytes = like?.capacityBytes ?? 64 << 20;
  await TapeMedium.create(libraryPaths(dir).cartridge(barcode), {
    barcode,
    capacityBytes,
    earlyWarningBytes: like?.earlyWarningBytes ?? defaultEarlyWarningBytes(capacityBytes),
    writeProtected: false,
    loadCount: 0,
    files: [],
    ...(kind === "cleaning" ? { cleaning: { uses: 0, maxUses: DEFAULT_CLEANING_USES } } : {}),
  });
  if (kind !== "foreign") return;
  const medium = await TapeMedium.open(libraryPaths(dir).cartridge(barcode));
  const block = Buffer.alloc(512, 0x20);
  block.write(`VOL1${barcode.slice(0, 6).padEnd(6)}`, "ascii");
  const file = await medium.startFile(512);
  await medium.appendBlocks(file, block);
  await medium.markFile(file);
  await medium.close();
}

export async function setWriteProtect(opts: { dir: string; barcode: string; on: boolean }) {
  const medium = await TapeMedium.open(libraryPaths(opts.dir).cartridge(opts.barcode)).catch(() => {
    throw new DriveError("NOT_FOUND", `no cartridge ${opts.barcode} in ${opts.dir}`);
  });
  await medium.setWriteProtected(opts.on);
}

// The changer lock serialises moves; the drive lock keeps a cartridge from leaving a drive in use.
async function withChanger<T>(
  opts: ChangerOptions,
  driveIndex: number | null,
  move: (library: Library) => Promise<T>,
) {
  const paths = libraryPaths(opts.dir);
  const changer = await waitForChanger(paths.changerLock, `changer of ${opts.dir}`);
  let drive: HeldLock | null = null;
  try {
    const library = await readLibrary(opts.dir);
    if (driveIndex !== null && !opts.driveLockHeld) {
      driveOf(library, driveIndex);
      drive = await acquireLock(paths.driveLock(driveIndex), `drive ${driveIndex} of ${opts.dir}`);
    }
    const result = await move(library);
    await saveLibrary(opts.dir, library);
    return result;
  } finally {
    await drive?.release();
    await changer.release();
  }
}

/** Longest a move waits for the robot to finish another (two drives loading at once). */
const CHANGER_WAIT_MS = 30_000;

/** A robot does one move at a time: a second move waits its turn, as mtx does, instead of failing. */
async function waitForChanger(path: string, what: string): Promise<HeldLock> {
  const deadline = performance.now() + CHANGER_WAIT_MS;
  for (;;) {
    try {
      return await acquireLock(path, what);
    } catch (error) {
      const busy = error instanceof DriveError && error.code === "DRIVE_BUSY";
      if (!busy || performance.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

function slotOf(library: Library, slot: number) {
  const found = library.slots.find((s) => s.slot === slot);
  if (!found)
    throw new DriveError("INVALID_ARGUMENT", `no slot ${slot} (slots are 1..${library.slots.length})`);
  return found;
}

function driveOf(library: Library, index: number) {
  const found = library.drives.find((d) => d.index === index);
  if (!found)
    throw new DriveError(
      "INVALID_ARGUMENT",
      `no drive ${index} (drives are 0..${library.drives.length - 1})`,
    );
  return found;
}

async function saveLibrary(dir: string, library: Library): Promise<void> {
  const path = libraryPaths(dir).library;
  await mkdir(dir, { recursive: true });
  await writeFile(`${path}.tmp`, `${JSON.stringify(library, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

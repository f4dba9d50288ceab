import { resolve } from "node:path";
import type { ChangerReport, DriveReport } from "../../contracts/agent-protocol.ts";
import type { ChangerSetup, DriveSetup } from "../config.ts";
import { MtxChanger } from "../drives/changer/mtx-changer.ts";
import type { ChangerInventory } from "../drives/changer/parse-mtx-status.ts";
import type { DriveHealth } from "../drives/health/drive-health.ts";
import { capacityOfBarcode } from "../drives/media-capacity.ts";
import { openDrive } from "../drives/open-drive.ts";
import { StDrive } from "../drives/st/st-drive.ts";
import { vtlDriveHealth } from "../drives/vtl/health.ts";
import { inventoryOf, libraryPaths, readLibrary } from "../drives/vtl/library.ts";
import { TapeMedium } from "../drives/vtl/medium.ts";
import { DriveError } from "../errors.ts";

/** The device path the hub knows a drive by; orders name their drive with it. */
export function devicePathOf(setup: DriveSetup): string {
  return setup.kind === "st" ? setup.device : `vtl:${setup.library}#${setup.index}`;
}

export function changerPathOf(setup: ChangerSetup): string {
  return setup.kind === "mtx" ? setup.device : `vtl:${setup.library}`;
}

export function changerOfDrive(changers: ChangerSetup[], drive: DriveSetup): ChangerSetup | null {
  if (drive.kind === "vtl")
    return changers.find((c) => c.kind === "vtl" && c.library === drive.library) ?? null;
  return changers.find((c) => c.kind === "mtx" && c.device === drive.changerDevice) ?? null;
}

/** What `enroll` was told: every drive of a vtl, or the given st devices (and an mtx changer). */
export async function discoverHardware(input: {
  vtl?: string;
  drives: string[];
  sgDevices: string[];
  changer?: string;
}): Promise<{ drives: DriveSetup[]; changers: ChangerSetup[] }> {
  if (input.vtl) {
    const library = resolve(input.vtl);
    const lib = await readLibrary(library);
    return {
      drives: lib.drives.map((d) => ({ kind: "vtl" as const, library, index: d.index })),
      changers: [{ kind: "vtl", library }],
    };
  }
  const changerDevice = input.changer ?? null;
  return {
    drives: input.drives.map((device, i) => ({
      kind: "st" as const,
      device,
      sgDevice: input.sgDevices[i] || null,
      changerDevice,
      changerIndex: changerDevice ? i : null,
    })),
    changers: changerDevice ? [{ kind: "mtx", device: changerDevice }] : [],
  };
}

export async function changerInventory(setup: ChangerSetup): Promise<ChangerInventory> {
  return setup.kind === "vtl"
    ? inventoryOf(await readLibrary(setup.library))
    : new MtxChanger({ device: setup.device }).inventory();
}

/**
 * Drives and changers as the hub wants them. Drives busy with an order are not probed (the
 * order holds them); a drive or changer that cannot be read is reported offline/with an alert.
 */
export async function hardwareReport(
  setup: { drives: DriveSetup[]; changers: ChangerSetup[] },
  busyPaths: ReadonlySet<string>,
): Promise<{ drives: DriveReport[]; changers: ChangerReport[] }> {
  const inventories = new Map<ChangerSetup, ChangerInventory | Error>();
  for (const changer of setup.changers) {
    inventories.set(changer, await changerInventory(changer).catch((error: Error) => error));
  }
  const changers: ChangerReport[] = [];
  const capacities = new Map<string, number | null>();
  for (const [changer, inventory] of inventories) {
    if (inventory instanceof Error) continue;
    const slots: ChangerReport["slots"] = [];
    for (const s of inventory.slots) {
      const barcode = validBarcode(s.barcode);
      const capacityBytes = barcode ? await cartridgeCapacity(changer, barcode) : null;
      if (barcode) capacities.set(barcode, capacityBytes);
      slots.push({ slot: s.slot, barcode, importExport: s.importExport, capacityBytes });
    }
    for (const d of inventory.drives) {
      const barcode = validBarcode(d.barcode);
      if (barcode) capacities.set(barcode, await cartridgeCapacity(changer, barcode));
    }
    changers.push({
      devicePath: changerPathOf(changer),
      name: changer.kind === "vtl" ? "Virtual library" : `Changer ${changer.device}`,
      slots,
    });
  }
  const drives: DriveReport[] = [];
  for (const drive of setup.drives) {
    const changer = changerOfDrive(setup.changers, drive);
    const inventory = changer ? inventories.get(changer) : undefined;
    const index = drive.kind === "vtl" ? drive.index : drive.changerIndex;
    const inChanger =
      inventory && !(inventory instanceof Error) && index !== null
        ? inventory.drives.find((d) => d.index === index)
        : undefined;
    const devicePath = devicePathOf(drive);
    const loadedBarcode = validBarcode(inChanger?.barcode ?? null);
    const report: DriveReport = {
      devicePath,
      name: drive.kind === "vtl" ? `Virtual drive ${drive.index}` : `Tape drive ${drive.device}`,
      kind: drive.kind,
      changerIndex: changer ? index : null,
      changerDevice: changer ? changerPathOf(changer) : null,
      vendor: null,
      model: null,
      serial: null,
      generation: null,
      state: busyPaths.has(devicePath) ? "busy" : "idle",
      loadedBarcode,
      loadedCapacityBytes: loadedBarcode ? (capacities.get(loadedBarcode) ?? null) : null,
      alerts: inventory instanceof Error ? [`changer: ${inventory.message.slice(0, 180)}`] : [],
      health: null,
    };
    if (drive.kind === "st" && report.state === "idle") await probeStDrive(drive, report);
    // Read during an order too: log pages do not disturb a drive that is streaming.
    report.health = await readDriveHealth(drive).catch((error: Error) => {
      report.alerts.push(`health: ${error.message.slice(0, 190)}`);
      return null;
    });
    drives.push(report);
  }
  return { drives, changers };
}

async function probeStDrive(setup: Extract<DriveSetup, { kind: "st" }>, report: DriveReport): Promise<void> {
  const drive = new StDrive({ device: setup.device, sgDevice: setup.sgDevice });
  try {
    const status = await drive.status();
    report.generation = status.generation;
    report.loadedBarcode ??= validBarcode(status.barcode);
    report.loadedCapacityBytes ??= status.capacityBytes ?? null;
  } catch (error) {
    report.state = "offline";
    report.alerts.push(String((error as Error).message).slice(0, 200));
  } finally {
    await drive.close().catch(() => {});
  }
}

/**
 * A cartridge's native capacity: the vtl keeps it in the cartridge's own file; a real library's
 * cartridge says its media type in the barcode suffix. Unknown is null, never a guess.
 */
async function cartridgeCapacity(changer: ChangerSetup, barcode: string): Promise<number | null> {
  if (changer.kind !== "vtl") return capacityOfBarcode(barcode);
  const meta = await TapeMedium.readMeta(libraryPaths(changer.library).cartridge(barcode)).catch(() => null);
  return meta?.capacityBytes ?? null;
}

/** TapeAlert and error counters: sg_logs on an st drive's sg node, the health file on a vtl drive. */
export async function readDriveHealth(setup: DriveSetup): Promise<DriveHealth | null> {
  if (setup.kind === "vtl") return vtlDriveHealth(setup.library, setup.index);
  if (!setup.sgDevice) return null;
  const drive = new StDrive({ device: setup.device, sgDevice: setup.sgDevice });
  const alerts = await drive.tapeAlerts();
  const errors = await drive.errorCounters();
  return {
    alerts: alerts.active,
    counters: {
      writeCorrected: errors.write.corrected,
      writeUncorrected: errors.write.uncorrected,
      readCorrected: errors.read.corrected,
      readUncorrected: errors.read.uncorrected,
      bytesWritten: errors.write.bytesProcessed,
      bytesRead: errors.read.bytesProcessed,
    },
  };
}

function validBarcode(barcode: string | null): string | null {
  return barcode && /^[A-Z0-9]{1,16}$/.test(barcode) ? barcode : null;
}

export function openSetupDrive(setup: DriveSetup) {
  return setup.kind === "vtl"
    ? openDrive({ path: setup.library, driveIndex: setup.index, writeBytes: setup.writeBytes })
    : openDrive({ path: setup.device, sgDevice: setup.sgDevice });
}

export function notOnThisAgent(devicePath: string): DriveError {
  return new DriveError("NOT_FOUND", `this agent has no drive ${devicePath}; re-enroll it with that drive`);
}

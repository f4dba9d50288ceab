import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { setVtlAlerts, setVtlErrors, vtlDriveHealth } from "../../drive-agent/drives/vtl/health.ts";
import {
  initLibrary,
  insertCartridge,
  libraryPaths,
  loadCartridge,
  readLibrary,
  removeCartridge,
  unloadCartridge,
} from "../../drive-agent/drives/vtl/library.ts";
import { TapeMedium } from "../../drive-agent/drives/vtl/medium.ts";
import { VtlDrive } from "../../drive-agent/drives/vtl/vtl-drive.ts";
import { readTapeLabel } from "../../drive-agent/tape/label-tape.ts";

let root: string;
let dir: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "tapebackarr-vtl-care-"));
  dir = join(root, "lib");
  await initLibrary({
    dir,
    drives: 1,
    slots: 4,
    importExportSlots: 2,
    cartridges: 2,
    cleaningCartridges: 1,
    cleaningUses: 2,
    capacityBytes: 16 << 20,
  });
});
afterEach(() => rm(root, { recursive: true, force: true }));

const slotOf = async (barcode: string) => (await readLibrary(dir)).slots.find((s) => s.barcode === barcode);

describe("virtual library: cleaning cartridges", () => {
  it("puts CLN cartridges after the data cartridges, counting their uses", async () => {
    expect((await slotOf("CLNA0001"))?.slot).toBe(3);
    expect((await TapeMedium.readMeta(libraryPaths(dir).cartridge("CLNA0001"))).cleaning).toEqual({
      uses: 0,
      maxUses: 2,
    });
  });

  it("clears cleaning required when a good cleaning cartridge is loaded, and raises expired cleaning media once it is spent", async () => {
    await setVtlAlerts({ dir, drive: 0, set: [20, 21] });
    const first = await loadCartridge({ dir, slot: 3, drive: 0 });
    expect(first.cleaning).toEqual({ uses: 1, maxUses: 2, spent: false });
    expect((await vtlDriveHealth(dir, 0)).alerts).toEqual([]);
    await unloadCartridge({ dir, drive: 0 });
    await loadCartridge({ dir, slot: 3, drive: 0 });
    await unloadCartridge({ dir, drive: 0 });
    await setVtlAlerts({ dir, drive: 0, set: [20] });
    const spent = await loadCartridge({ dir, slot: 3, drive: 0 });
    expect(spent.cleaning).toEqual({ uses: 2, maxUses: 2, spent: true });
    expect((await vtlDriveHealth(dir, 0)).alerts.map((a) => [a.code, a.name, a.severity])).toEqual([
      [20, "Cleaning required", "critical"],
      [22, "Expired cleaning media", "critical"],
    ]);
  });

  it("says nothing about cleaning when a data cartridge is loaded", async () => {
    expect(await loadCartridge({ dir, slot: 1, drive: 0 })).toEqual({
      barcode: "TB0001L9",
      slot: 1,
      drive: 0,
    });
  });
});

describe("virtual library: mail slots", () => {
  it("takes a new blank, foreign or cleaning cartridge in the first empty mail slot", async () => {
    expect(await insertCartridge({ dir, barcode: "NEW001L8" })).toEqual({
      barcode: "NEW001L8",
      slot: 5,
      created: true,
    });
    expect(await insertCartridge({ dir, barcode: "FRN001L7", kind: "foreign" })).toMatchObject({ slot: 6 });
    await expect(insertCartridge({ dir, barcode: "CLNB0001", kind: "cleaning" })).rejects.toThrow(
      "every mail slot is full; take a cartridge out first",
    );
  });

  it("gives a foreign cartridge a first file that is not a TapeBackarr label, and a blank one nothing", async () => {
    await insertCartridge({ dir, barcode: "FRN001L7", kind: "foreign" });
    await insertCartridge({ dir, barcode: "NEW001L8" });
    for (const [slot, kind] of [
      [5, "foreign"],
      [6, "blank"],
    ] as const) {
      await loadCartridge({ dir, slot, drive: 0 });
      const drive = await VtlDrive.open({ dir, index: 0 });
      expect((await readTapeLabel(drive)).kind).toBe(kind);
      await drive.close();
      await unloadCartridge({ dir, drive: 0 });
    }
  });

  it("keeps a cartridge taken out of a mail slot on the shelf, with its files, to be inserted again", async () => {
    await insertCartridge({ dir, barcode: "FRN001L7", kind: "foreign" });
    expect(await removeCartridge({ dir, slot: 5 })).toEqual({ barcode: "FRN001L7", slot: 5 });
    expect(await slotOf("FRN001L7")).toBeUndefined();
    expect(await insertCartridge({ dir, barcode: "FRN001L7" })).toEqual({
      barcode: "FRN001L7",
      slot: 5,
      created: false,
    });
    expect((await TapeMedium.readMeta(libraryPaths(dir).cartridge("FRN001L7"))).files).toHaveLength(1);
  });

  it("refuses to open a storage slot, or insert a barcode the library already holds", async () => {
    await expect(removeCartridge({ dir, slot: 1 })).rejects.toThrow("slot 1 is not an import/export slot");
    await expect(insertCartridge({ dir, barcode: "TB0001L9" })).rejects.toThrow(
      "TB0001L9 is already in the library",
    );
  });
});

describe("virtual library: drive health", () => {
  it("reports the flags and error counts set on it, with bytes written since the load", async () => {
    await setVtlAlerts({ dir, drive: 0, set: [3, 1] });
    await setVtlErrors({ dir, drive: 0, errors: { writeUncorrected: 2, readCorrected: 9 } });
    const health = await vtlDriveHealth(dir, 0);
    expect(health.alerts.map((a) => a.code)).toEqual([1, 3]);
    expect(health.counters).toEqual({
      writeCorrected: 0,
      writeUncorrected: 2,
      readCorrected: 9,
      readUncorrected: 0,
      bytesWritten: 0,
      bytesRead: 0,
    });
    await setVtlAlerts({ dir, drive: 0, clear: [1, 3] });
    expect((await vtlDriveHealth(dir, 0)).alerts).toEqual([]);
  });

  it("refuses a drive the library does not have", async () => {
    await expect(setVtlAlerts({ dir, drive: 4, set: [20] })).rejects.toThrow("no drive 4");
  });
});

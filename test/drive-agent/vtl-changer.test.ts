import { writeFile } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  inventoryOf,
  libraryPaths,
  loadCartridge,
  readLibrary,
  transferCartridge,
  unloadCartridge,
} from "../../drive-agent/drives/vtl/library.ts";
import { TapeMedium } from "../../drive-agent/drives/vtl/medium.ts";
import { VtlDrive } from "../../drive-agent/drives/vtl/vtl-drive.ts";
import { createTestLibrary, type TestLibrary } from "./helpers/vtl-fixture.ts";

let library: TestLibrary;

beforeEach(async () => {
  library = await createTestLibrary({ drives: 2, slots: 4 });
});

afterEach(async () => {
  await library.cleanup();
});

const inventory = async () => inventoryOf(await readLibrary(library.dir));

describe("virtual changer", () => {
  it("makes a second move wait for the robot instead of failing when two drives load at once", async () => {
    const moves = await Promise.all([
      loadCartridge({ dir: library.dir, slot: 1, drive: 0 }),
      loadCartridge({ dir: library.dir, slot: 2, drive: 1 }),
    ]);
    expect(moves).toEqual([
      { barcode: "TB0001L9", slot: 1, drive: 0 },
      { barcode: "TB0002L9", slot: 2, drive: 1 },
    ]);
    expect((await inventory()).drives.map((d) => d.barcode)).toEqual(["TB0001L9", "TB0002L9"]);
  });

  it("creates a library with cartridges in every storage slot, an empty import/export slot and empty drives", async () => {
    const inv = await inventory();
    expect(inv.drives).toEqual([
      { index: 0, full: false, sourceSlot: null, barcode: null },
      { index: 1, full: false, sourceSlot: null, barcode: null },
    ]);
    expect(inv.slots.map((s) => [s.slot, s.barcode, s.importExport])).toEqual([
      [1, "TB0001L9", false],
      [2, "TB0002L9", false],
      [3, "TB0003L9", false],
      [4, "TB0004L9", false],
      [5, null, true],
    ]);
  });

  it("loads a cartridge from a slot into a drive and unloads it back to the same slot", async () => {
    expect(await loadCartridge({ dir: library.dir, slot: 3, drive: 1 })).toEqual({
      barcode: "TB0003L9",
      slot: 3,
      drive: 1,
    });
    let inv = await inventory();
    expect(inv.drives[1]).toEqual({ index: 1, full: true, sourceSlot: 3, barcode: "TB0003L9" });
    expect(inv.slots[2]?.full).toBe(false);
    expect(await unloadCartridge({ dir: library.dir, drive: 1 })).toEqual({
      barcode: "TB0003L9",
      slot: 3,
      drive: 1,
    });
    inv = await inventory();
    expect(inv.slots[2]?.barcode).toBe("TB0003L9");
    expect(inv.drives[1]?.full).toBe(false);
  });

  it("transfers a cartridge between slots, including to the import/export slot", async () => {
    await transferCartridge({ dir: library.dir, from: 2, to: 5 });
    const inv = await inventory();
    expect(inv.slots[1]?.barcode).toBeNull();
    expect(inv.slots[4]).toEqual({ slot: 5, full: true, barcode: "TB0002L9", importExport: true });
  });

  it("holds at most one cartridge per drive and refuses moves into full places", async () => {
    await loadCartridge({ dir: library.dir, slot: 1, drive: 0 });
    await expect(loadCartridge({ dir: library.dir, slot: 2, drive: 0 })).rejects.toThrow(
      /already holds TB0001L9/,
    );
    await expect(transferCartridge({ dir: library.dir, from: 2, to: 3 })).rejects.toThrow(/already holds/);
    await expect(loadCartridge({ dir: library.dir, slot: 1, drive: 1 })).rejects.toThrow(/slot 1 is empty/);
  });

  it("will not take a cartridge out of a drive another process is using", async () => {
    await loadCartridge({ dir: library.dir, slot: 1, drive: 0 });
    const drive = await VtlDrive.open({ dir: library.dir, index: 0 });
    try {
      await expect(unloadCartridge({ dir: library.dir, drive: 0 })).rejects.toMatchObject({
        code: "DRIVE_BUSY",
      });
    } finally {
      await drive.close();
    }
    await unloadCartridge({ dir: library.dir, drive: 0 });
  });

  it("ejects from an open drive back to the cartridge's slot and then reports no cartridge", async () => {
    await loadCartridge({ dir: library.dir, slot: 4, drive: 0 });
    const drive = await VtlDrive.open({ dir: library.dir, index: 0 });
    await drive.eject();
    expect((await drive.status()).flags.doorOpen).toBe(true);
    await expect(drive.rewind()).rejects.toMatchObject({ code: "NO_CARTRIDGE", recovery: "operator" });
    await drive.close();
    expect((await inventory()).slots[3]?.barcode).toBe("TB0004L9");
  });

  it("counts loads in the cartridge and starts each load at BOT", async () => {
    await loadCartridge({ dir: library.dir, slot: 1, drive: 0 });
    const drive = await VtlDrive.open({ dir: library.dir, index: 0 });
    await drive.write(Buffer.alloc(65536));
    await drive.close();
    await unloadCartridge({ dir: library.dir, drive: 0 });
    await loadCartridge({ dir: library.dir, slot: 1, drive: 0 });
    const again = await VtlDrive.open({ dir: library.dir, index: 0 });
    expect((await again.status()).flags.bot).toBe(true);
    await again.close();
    expect((await TapeMedium.readMeta(libraryPaths(library.dir).cartridge("TB0001L9"))).loadCount).toBe(2);
  });

  it("takes over a drive lock left by a process that no longer exists", async () => {
    await loadCartridge({ dir: library.dir, slot: 1, drive: 0 });
    await writeFile(libraryPaths(library.dir).driveLock(0), "999999999:gone");
    const drive = await VtlDrive.open({ dir: library.dir, index: 0 });
    expect((await drive.status()).barcode).toBe("TB0001L9");
    await drive.close();
  });
});

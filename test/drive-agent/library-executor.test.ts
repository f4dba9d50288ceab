import { describe, expect, it } from "vitest";
import type { LibraryOrderBody } from "../../contracts/agent-protocol.ts";
import type { ChangerInventory } from "../../drive-agent/drives/changer/parse-mtx-status.ts";
import type { Drive } from "../../drive-agent/drives/drive.ts";
import { executeLibrary } from "../../drive-agent/orders/library.ts";
import type { ExecutorContext, OrderReporter, Robot } from "../../drive-agent/orders/types.ts";

/** A robot over an in-memory slot map, as mtx would move cartridges; it records every move. */
function fakeRobot(slots: ChangerInventory["slots"]): Robot & { moves: string[]; inv: ChangerInventory } {
  const inv: ChangerInventory = {
    device: null,
    drives: [{ index: 0, full: false, sourceSlot: null, barcode: null }],
    slots,
  };
  const moves: string[] = [];
  const slot = (n: number) => inv.slots.find((s) => s.slot === n) as ChangerInventory["slots"][number];
  const drive = inv.drives[0] as ChangerInventory["drives"][number];
  return {
    driveIndex: 0,
    inv,
    moves,
    inventory: async () => structuredClone(inv),
    rescan: async () => structuredClone(inv),
    load: async (n) => {
      Object.assign(drive, { full: true, barcode: slot(n).barcode, sourceSlot: n });
      Object.assign(slot(n), { full: false, barcode: null });
      moves.push(`load ${n}`);
      return { cleaning: null };
    },
    unload: async (n) => {
      const to = n ?? (drive.sourceSlot as number);
      Object.assign(slot(to), { full: true, barcode: drive.barcode });
      Object.assign(drive, { full: false, barcode: null, sourceSlot: null });
      moves.push(`unload ${to}`);
      return to;
    },
    transfer: async (from, to) => {
      Object.assign(slot(to), { full: true, barcode: slot(from).barcode });
      Object.assign(slot(from), { full: false, barcode: null });
      moves.push(`transfer ${from} ${to}`);
    },
  };
}

const reporter: OrderReporter = {
  progress: async () => "continue",
  catalogChunk: async () => {},
  segment: async () => {},
  log: async () => {},
  fileResults: async () => {},
};

function ctx(robot: Robot | null): ExecutorContext & { robot: Robot | null } {
  return {
    drive: { name: "drive 0" } as Drive,
    changer: null,
    robot,
    reporter,
    signal: new AbortController().signal,
    workDir: "/tmp",
    log: () => {},
  };
}

const order = (operation: LibraryOrderBody["operation"]): LibraryOrderBody => ({
  kind: "library",
  runId: null,
  drive: { devicePath: "/dev/nst0" },
  changer: { devicePath: "/dev/sg3" },
  operation,
});

const storage = (slot: number, barcode: string | null) => ({
  slot,
  full: barcode !== null,
  barcode,
  importExport: false,
});
const mail = (slot: number) => ({ slot, full: false, barcode: null, importExport: true });

describe("library order executor", () => {
  it("exports to the mail slots until they are full, and reports the ones it moved when it stops", async () => {
    const robot = fakeRobot([
      storage(1, "A00001L9"),
      storage(2, "A00002L9"),
      storage(3, "A00003L9"),
      mail(10),
      mail(11),
    ]);
    const result = await executeLibrary(
      order({ op: "export", barcodes: ["A00001L9", "A00002L9", "A00003L9"] }),
      ctx(robot),
    );
    expect(result).toMatchObject({
      state: "failed",
      error: "export: the mail slots are full after 2 of 3; take them out and export the rest",
      retryable: false,
      library: {
        exported: [
          { barcode: "A00001L9", slot: 10 },
          { barcode: "A00002L9", slot: 11 },
        ],
      },
    });
    expect(robot.moves).toEqual(["transfer 1 10", "transfer 2 11"]);
  });

  it("imports a cleaning cartridge to a free slot without loading it into the drive", async () => {
    const robot = fakeRobot([
      storage(1, "A00001L9"),
      storage(2, null),
      { ...mail(10), full: true, barcode: "CLNA0002" },
    ]);
    const result = await executeLibrary(order({ op: "import" }), ctx(robot));
    expect(result).toMatchObject({
      state: "completed",
      library: {
        imported: [{ barcode: "CLNA0002", slot: 2, kind: "cleaning", label: null, filesOnTape: 0 }],
      },
    });
    expect(robot.moves).toEqual(["transfer 10 2"]);
  });

  it("refuses a changer order for a drive in no changer, in words that say so", async () => {
    expect(await executeLibrary(order({ op: "inventory" }), ctx(null))).toEqual({
      state: "failed",
      error: "drive 0 is in no changer this agent knows; inventory needs one",
      retryable: false,
    });
  });

  it("names the cleaning cartridge that is not in the changer, and moves nothing", async () => {
    const robot = fakeRobot([storage(1, "A00001L9")]);
    const result = await executeLibrary(order({ op: "clean", barcode: "CLNA0009" }), ctx(robot));
    expect(result).toMatchObject({
      state: "failed",
      error: "clean: cleaning cartridge CLNA0009 is not in a slot of the changer",
    });
    expect(robot.moves).toEqual([]);
  });
});

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EjectOrderBody } from "../../contracts/agent-protocol.ts";
import { loadCartridge, readLibrary, transferCartridge } from "../../drive-agent/drives/vtl/library.ts";
import { executeEject } from "../../drive-agent/orders/eject.ts";
import type { ExecutorContext } from "../../drive-agent/orders/types.ts";
import { openOrderDrive } from "../../drive-agent/runtime/order-drive.ts";
import { createTestLibrary, type TestLibrary } from "./helpers/vtl-fixture.ts";
import { FakeReporter } from "./pipeline/helpers.ts";

const order = (expectedBarcode: string): EjectOrderBody => ({
  kind: "eject",
  runId: null,
  drive: { devicePath: "vtl0" },
  expectedBarcode,
});

/** The eject executor on the virtual library, through the same drive + changer the runtime opens. */
describe("eject order on the virtual library", () => {
  let library: TestLibrary;
  beforeEach(async () => {
    library = await createTestLibrary({ drives: 1, slots: 4 });
  });
  afterEach(() => library.cleanup());
  const driveName = () => `vtl:${library.dir}#0`;

  async function run(body: EjectOrderBody, withChanger = true) {
    const opened = await openOrderDrive(
      { kind: "vtl", library: library.dir, index: 0 },
      withChanger ? { kind: "vtl", library: library.dir } : null,
      new AbortController().signal,
    );
    const reporter = new FakeReporter();
    const ctx: ExecutorContext = {
      ...opened,
      reporter,
      signal: new AbortController().signal,
      workDir: library.root,
      log: () => {},
    };
    try {
      return { result: await executeEject(body, ctx), reporter };
    } finally {
      await opened.drive.close();
    }
  }

  it("rewinds and unloads the tape, which is back in its home slot and the drive empty", async () => {
    await loadCartridge({ dir: library.dir, slot: 3, drive: 0 });

    const { result, reporter } = await run(order("TB0003L9"));

    expect(result).toEqual({ state: "completed", summary: {} });
    const lib = await readLibrary(library.dir);
    expect(lib.drives[0]?.barcode).toBeNull();
    expect(lib.slots.find((s) => s.slot === 3)?.barcode).toBe("TB0003L9");
    expect(reporter.logLines.map((l) => l.message)).toEqual([
      `ejected TB0003L9 from ${driveName()}: back in slot 3`,
    ]);
  });

  it("returns the tape to the first empty slot when its home slot was filled meanwhile", async () => {
    await loadCartridge({ dir: library.dir, slot: 2, drive: 0 });
    // Slot 2 is empty now; another cartridge moves into it while the drive holds TB0002L9.
    await transferCartridge({ dir: library.dir, from: 4, to: 2 });

    const { result } = await run(order("TB0002L9"));

    expect(result.state).toBe("completed");
    const lib = await readLibrary(library.dir);
    expect(lib.drives[0]?.barcode).toBeNull();
    expect(lib.slots.filter((s) => !s.importExport).map((s) => s.barcode)).toEqual([
      "TB0001L9",
      "TB0004L9",
      "TB0003L9",
      "TB0002L9",
    ]);
  });

  it("ejects through the drive itself when no changer is configured", async () => {
    await loadCartridge({ dir: library.dir, slot: 1, drive: 0 });
    const { result } = await run(order("TB0001L9"), false);
    expect(result.state).toBe("completed");
    const lib = await readLibrary(library.dir);
    expect(lib.drives[0]?.barcode).toBeNull();
    expect(lib.slots[0]?.barcode).toBe("TB0001L9");
  });

  it("leaves a drive holding another cartridge than expected alone, and says which", async () => {
    await loadCartridge({ dir: library.dir, slot: 1, drive: 0 });
    const { result } = await run(order("TB0002L9"));
    expect(result).toEqual({
      state: "failed",
      error: `${driveName()} holds TB0001L9, not TB0002L9; nothing was ejected`,
      retryable: false,
    });
    expect((await readLibrary(library.dir)).drives[0]?.barcode).toBe("TB0001L9");
  });

  it("fails with clear words when the drive is already empty", async () => {
    const { result } = await run(order("TB0001L9"));
    expect(result.state).toBe("failed");
    expect(result.error).toMatch(/is empty; TB0001L9 is not in it$/);
  });
});

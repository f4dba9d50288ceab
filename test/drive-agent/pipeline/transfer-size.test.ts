import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DriveSetup } from "../../../drive-agent/config.ts";
import { MAX_TRANSFER_BYTES, transferBytes, type WriteOutcome } from "../../../drive-agent/drives/drive.ts";
import {
  defaultEarlyWarningBytes,
  initLibrary,
  loadCartridge,
} from "../../../drive-agent/drives/vtl/library.ts";
import { TapeMedium } from "../../../drive-agent/drives/vtl/medium.ts";
import { DEFAULT_VTL_WRITE_BYTES, VtlDrive } from "../../../drive-agent/drives/vtl/vtl-drive.ts";
import { writeSetStream } from "../../../drive-agent/pipeline/drive-writer.ts";
import { openSetupDrive } from "../../../drive-agent/runtime/hardware.ts";

const MiB = 1 << 20;
const BLOCK = 64 * 1024;

async function* chunks(total: number, size: number) {
  for (let done = 0; done < total; done += size) yield Buffer.alloc(Math.min(size, total - done), 7);
}

describe("the early-warning zone and the size of a transfer", () => {
  it("gives every vtl cartridge by default an early-warning zone of at least four of the agent's largest transfers", () => {
    for (const capacity of [64 * MiB, 100 * MiB, 200 * MiB, 1 << 30])
      expect(defaultEarlyWarningBytes(capacity), `${capacity}`).toBeGreaterThanOrEqual(
        4 * MAX_TRANSFER_BYTES,
      );
    expect(defaultEarlyWarningBytes(10 * 2 ** 30)).toBe(Math.floor((10 * 2 ** 30) / 50));
    // A cartridge too small for that keeps half of itself before early warning.
    expect(defaultEarlyWarningBytes(8 * MiB)).toBe(4 * MiB);
  });

  it("records the default zone on each cartridge a library is made with", async () => {
    const root = await mkdtemp(join(tmpdir(), "tapebackarr-ew-"));
    try {
      await initLibrary({ dir: root, drives: 1, slots: 1, capacityBytes: 64 * MiB });
      const meta = await TapeMedium.readMeta(join(root, "cartridges", "TB0001L9"));
      expect(meta.earlyWarningBytes).toBeGreaterThan(MAX_TRANSFER_BYTES);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("never hands a drive more than it takes past early warning, in whole blocks, at least one", () => {
    expect(transferBytes({}, BLOCK)).toBe(MAX_TRANSFER_BYTES);
    expect(transferBytes({ maxTransferBytes: MiB + 1000 }, BLOCK)).toBe(MiB);
    expect(transferBytes({ maxTransferBytes: 100 }, BLOCK)).toBe(BLOCK);
    expect(transferBytes({ maxTransferBytes: 64 * MiB }, BLOCK)).toBe(MAX_TRANSFER_BYTES);
  });

  it("splits the stream into writes no larger than the tape in the drive takes, even when the next tape takes less", async () => {
    let limit = 2 * MiB;
    const writes: number[] = [];
    const result = await writeSetStream(chunks(20 * MiB + 100, 3 * MiB), {
      write: async (data): Promise<WriteOutcome> => {
        writes.push(data.length);
        if (writes.length === 4 && limit === 2 * MiB) return { type: "end-of-medium" };
        return { type: "written", bytes: data.length, blocks: data.length / BLOCK, earlyWarning: false };
      },
      maxTransferBytes: () => limit,
      blockSize: BLOCK,
      compression: "none",
      encrypted: false,
      onCommit: () => undefined,
      onEndOfMedium: async () => {
        limit = MiB;
      },
      whenRunning: async () => undefined,
    });
    expect(result.streamBytes).toBe(20 * MiB + 100);
    expect(writes.slice(0, 4)).toEqual([2 * MiB, 2 * MiB, 2 * MiB, 2 * MiB]);
    expect(Math.max(...writes.slice(4))).toBe(MiB);
    expect(writes.every((w) => w % BLOCK === 0)).toBe(true);
    // The refused write is written again first: nothing of the stream is lost or doubled.
    expect(writes.reduce((a, b) => a + b, 0) - 2 * MiB).toBe(20 * MiB + BLOCK);
  });
});

describe("the vtl's write size", () => {
  it("is 1 MiB by default, what its drive setup names otherwise, and never more than the early-warning zone allows", async () => {
    const root = await mkdtemp(join(tmpdir(), "tapebackarr-wb-"));
    try {
      await initLibrary({
        dir: root,
        drives: 2,
        slots: 2,
        capacityBytes: 64 * MiB,
        earlyWarningBytes: 8 * MiB,
      });
      await loadCartridge({ dir: root, slot: 1, drive: 0 });
      const plain = await VtlDrive.open({ dir: root, index: 0 });
      expect(DEFAULT_VTL_WRITE_BYTES).toBe(MiB);
      expect(transferBytes(plain, BLOCK)).toBe(DEFAULT_VTL_WRITE_BYTES);
      await plain.close();
      const setup = DriveSetup.parse({ kind: "vtl", library: root, index: 0, writeBytes: 4 * MiB });
      const big = await openSetupDrive(setup);
      // An 8 MiB zone takes writes of at most a quarter of it.
      expect(transferBytes(big, BLOCK)).toBe(2 * MiB);
      await big.close();
      expect(() => DriveSetup.parse({ kind: "vtl", library: root, index: 0, writeBytes: 0 })).toThrow();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

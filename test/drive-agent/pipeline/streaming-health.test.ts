import { describe, expect, it, vi } from "vitest";
import { LTO_SPEEDS, minStreamingBytesPerSec, streamingVerdict } from "../../../contracts/lto-speeds.ts";
import type { WriteOutcome } from "../../../drive-agent/drives/drive.ts";
import { ByteQueue } from "../../../drive-agent/pipeline/byte-queue.ts";
import { writeSetStream } from "../../../drive-agent/pipeline/drive-writer.ts";
import { StreamingMeter } from "../../../drive-agent/pipeline/streaming-meter.ts";

const BLOCK = 64 * 1024;

/** A drive writer on a queue the test fills by hand, timed by a clock the test moves. */
function rig(floor: number | null) {
  let clock = 0;
  const meter = new StreamingMeter(floor, () => clock);
  const queue = new ByteQueue(16 * BLOCK);
  const writes: number[] = [];
  const done = writeSetStream(queue, {
    write: async (data): Promise<WriteOutcome> => {
      writes.push(data.length);
      return { type: "written", bytes: data.length, blocks: data.length / BLOCK, earlyWarning: false };
    },
    maxTransferBytes: () => BLOCK,
    blockSize: BLOCK,
    compression: "none",
    encrypted: false,
    onCommit: () => undefined,
    onEndOfMedium: async () => undefined,
    whenRunning: async () => undefined,
    meter,
    sourceEmpty: () => queue.empty,
  });
  return {
    meter,
    queue,
    writes,
    done,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

describe("streaming health: the drive writer's waits on an empty buffer", () => {
  it("counts each wait for data after the first write, with its time, and not the buffer filling before it", async () => {
    const r = rig(FLOOR_LTO9);
    r.advance(5_000); // the buffer filling before the first write: not a stop of the drive
    r.queue.push([Buffer.alloc(BLOCK, 1)]);
    await vi.waitFor(() => expect(r.writes).toHaveLength(1));
    r.advance(1_000); // the drive waits one second for the next block
    r.queue.push([Buffer.alloc(BLOCK, 2)]);
    await vi.waitFor(() => expect(r.writes).toHaveLength(2));
    r.advance(1_000);
    r.queue.push([Buffer.alloc(BLOCK, 3)]);
    r.queue.end(); // the last block comes with the end: no wait after it
    await r.done;
    expect(r.writes).toEqual([BLOCK, BLOCK, BLOCK]);
    expect(r.meter.snapshot()).toEqual({
      waits: 2,
      waitedMs: 2_000,
      bytes: 2 * BLOCK,
      feedBytesPerSec: BLOCK,
      minBytesPerSec: FLOOR_LTO9,
    });
  });

  it("counts no wait when the buffer always holds the next block", async () => {
    const r = rig(FLOOR_LTO9);
    r.queue.push([Buffer.alloc(BLOCK), Buffer.alloc(BLOCK), Buffer.alloc(BLOCK)]);
    r.queue.end();
    await r.done;
    expect(r.meter.snapshot()?.waits).toBe(0);
  });

  it("has nothing to say before the first write", () => {
    expect(new StreamingMeter(null).snapshot()).toBeNull();
  });
});

const FLOOR_LTO9 = LTO_SPEEDS["LTO-9"]?.minBytesPerSec as number;

describe("streaming verdict: shoe-shining and what would help", () => {
  const health = { waits: 12, waitedMs: 30_000, bytes: 1e9, minBytesPerSec: 177e6 };

  it("takes the floor of the loaded generation from one table, and none for an unknown one", () => {
    expect(minStreamingBytesPerSec("LTO-9")).toBe(177e6);
    expect(minStreamingBytesPerSec("LTO-6")).toBeLessThan(minStreamingBytesPerSec("LTO-7") as number);
    expect(minStreamingBytesPerSec(null)).toBeNull();
    expect(minStreamingBytesPerSec("DDS-4")).toBeNull();
  });

  it("calls a drive fed below its floor that had to stop shoe-shining, and names a faster or parallel source first", () => {
    const verdict = streamingVerdict({ ...health, feedBytesPerSec: 60e6 });
    expect(verdict?.shoeShining).toBe(true);
    expect(verdict?.words).toContain("stopped 12 times");
    expect(verdict?.words).toContain("60.0 MB/s against the 177.0 MB/s");
    expect(verdict?.advice[0]).toContain("faster source");
    expect(verdict?.advice[1]).toContain("parallel");
    expect(verdict?.advice[2]).toContain("larger buffer");
  });

  it("calls a drive that stopped although the source kept up on average bursty, where a larger buffer helps", () => {
    const verdict = streamingVerdict({ ...health, feedBytesPerSec: 250e6 });
    expect(verdict?.shoeShining).toBe(false);
    expect(verdict?.words).toContain("comes in bursts");
    expect(verdict?.advice).toEqual([expect.stringContaining("larger buffer")]);
  });

  it("has no advice for a drive that never waited, and no verdict without a floor or a feed", () => {
    expect(streamingVerdict({ ...health, waits: 0, feedBytesPerSec: 300e6 })?.advice).toEqual([]);
    expect(streamingVerdict({ ...health, minBytesPerSec: null, feedBytesPerSec: 1e6 })).toBeNull();
    expect(streamingVerdict({ ...health, feedBytesPerSec: null })).toBeNull();
    expect(streamingVerdict(null)).toBeNull();
  });
});

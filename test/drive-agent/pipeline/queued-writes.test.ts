import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { mkdir, mkdtemp, open, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { allocDirectBuffer } from "../../../drive-agent/drives/direct-memory.ts";
import type { QueuedWrite } from "../../../drive-agent/drives/drive.ts";
import { initLibrary, libraryPaths, loadCartridge } from "../../../drive-agent/drives/vtl/library.ts";
import { TapeMedium, tapeFileName } from "../../../drive-agent/drives/vtl/medium.ts";
import { VtlDrive } from "../../../drive-agent/drives/vtl/vtl-drive.ts";
import { writeSetStream } from "../../../drive-agent/pipeline/drive-writer.ts";

const BLOCK = 64 * 1024;
const TRANSFER = 4 * BLOCK;

type Landing = { data: Buffer; land: () => void; fail: (error: Error) => void; landed: boolean };

/** A drive that places every write at once and lands it only when the test says so. */
function queuedDrive() {
  const writes: Landing[] = [];
  let unlanded = 0;
  let mostUnlanded = 0;
  const events: string[] = [];
  let landAtOnce = false;
  const write = async (data: Buffer): Promise<QueuedWrite> => {
    let land: () => void = () => undefined;
    let fail: (error: Error) => void = () => undefined;
    const landed = new Promise<void>((resolve, reject) => {
      land = resolve;
      fail = reject;
    });
    const entry: Landing = { data, land: () => undefined, fail, landed: false };
    entry.land = () => {
      entry.landed = true;
      unlanded--;
      events.push(`landed ${writes.indexOf(entry)}`);
      land();
    };
    writes.push(entry);
    unlanded++;
    mostUnlanded = Math.max(mostUnlanded, unlanded);
    events.push(`placed ${writes.length - 1}`);
    if (landAtOnce) queueMicrotask(entry.land);
    return {
      outcome: { type: "written", bytes: data.length, blocks: data.length / BLOCK, earlyWarning: false },
      landed,
    };
  };
  /** From now on every write lands: the pending ones now, later ones just after being placed. */
  const landEverything = () => {
    landAtOnce = true;
    for (const w of writes) if (!w.landed) w.land();
  };
  return { writes, write, events, landEverything, mostUnlanded: () => mostUnlanded };
}

/** Resolves once `check` holds, re-checked after every turn of the event loop (no timer). */
async function until(check: () => boolean): Promise<void> {
  for (let turns = 0; !check(); turns++) {
    if (turns > 10_000) throw new Error("condition never held");
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function* pieces(buffers: Buffer[]) {
  for (const b of buffers) yield b;
}

type StreamOptions = Parameters<typeof writeSetStream>[1];

/** Writes `source` in transfers of TRANSFER bytes, no compression or encryption, with `options` on top. */
function writeQueued(
  source: Buffer[],
  options: Pick<StreamOptions, "write" | "writesInFlight" | "onCommit"> & Partial<StreamOptions>,
) {
  return writeSetStream(pieces(source), {
    maxTransferBytes: () => TRANSFER,
    blockSize: BLOCK,
    compression: "none",
    encrypted: false,
    onEndOfMedium: async () => undefined,
    whenRunning: async () => undefined,
    ...options,
  });
}

describe("queued drive writes (several on their way to the medium)", () => {
  it("keeps at most writesInFlight unlanded, commits each only after it landed and in tape order, and gives a buffer back only then", async () => {
    const drive = queuedDrive();
    const source = Array.from({ length: 6 }, () => randomBytes(TRANSFER));
    const commits: number[] = [];
    const released: Buffer[] = [];
    const done = writeQueued(source, {
      write: drive.write,
      writesInFlight: 3,
      onCommit: (bytes) => {
        commits.push(bytes);
      },
      release: (piece) => released.push(piece),
    });
    await until(() => drive.writes.length === 3);
    // Three placed, none landed: the writer waits, nothing is committed or given back.
    expect(commits).toEqual([]);
    expect(released).toEqual([]);
    // The second lands before the first: still nothing counts until the first has landed too.
    drive.writes[1]?.land();
    await until(() => drive.events.includes("landed 1"));
    expect(commits).toEqual([]);
    expect(released).toEqual([]);
    drive.writes[0]?.land();
    await until(() => commits.length === 2);
    expect(commits).toEqual([TRANSFER, 2 * TRANSFER]);
    expect(released).toEqual([source[0], source[1]]);
    // Landing everything else as it is placed finishes the stream.
    drive.landEverything();
    const result = await done;
    expect(result.streamBytes).toBe(6 * TRANSFER);
    expect(drive.mostUnlanded()).toBe(3);
    expect(commits).toEqual([1, 2, 3, 4, 5, 6].map((n) => n * TRANSFER));
    expect(released).toEqual(source);
    expect(Buffer.concat(drive.writes.map((w) => w.data))).toEqual(Buffer.concat(source));
  });

  it("fails the stream when a queued write does not land (an I/O error is not lost)", async () => {
    const drive = queuedDrive();
    const source = Array.from({ length: 4 }, () => randomBytes(TRANSFER));
    const commits: number[] = [];
    const done = writeQueued(source, {
      write: drive.write,
      writesInFlight: 2,
      onCommit: (bytes) => {
        commits.push(bytes);
      },
    });
    await until(() => drive.writes.length === 2);
    drive.writes[0]?.fail(new Error("EIO: the cartridge file could not be written"));
    drive.writes[1]?.land();
    await expect(done).rejects.toThrow("EIO");
    expect(commits).toEqual([]);
  });

  it("changes the tape only once every write before the refused one has landed", async () => {
    const drive = queuedDrive();
    const source = Array.from({ length: 4 }, () => randomBytes(TRANSFER));
    let refused = false;
    const order: string[] = [];
    const done = writeQueued(source, {
      write: async (data) => {
        if (drive.writes.length === 2 && !refused) {
          refused = true;
          order.push("refused");
          return { type: "end-of-medium" };
        }
        return drive.write(data);
      },
      writesInFlight: 4,
      onCommit: (bytes) => {
        order.push(`commit ${bytes / TRANSFER}`);
      },
      onEndOfMedium: async () => {
        order.push("next tape");
      },
    });
    await until(() => order.includes("refused"));
    expect(order).toEqual(["refused"]);
    drive.writes[1]?.land();
    drive.writes[0]?.land();
    await until(() => order.includes("next tape"));
    expect(order).toEqual(["refused", "commit 1", "commit 2", "next tape"]);
    drive.landEverything();
    await done;
    // The refused write went again first on the next tape: the stream is whole and in order.
    expect(Buffer.concat(drive.writes.map((w) => w.data))).toEqual(Buffer.concat(source));
  });
});

describe("the vtl's queued writes", () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "tapebackarr-queued-"));
    await initLibrary({ dir: root, drives: 1, slots: 1, capacityBytes: 256 << 20 });
    await loadCartridge({ dir: root, slot: 1, drive: 0 });
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("places writes one after another while earlier ones land, and the tape file holds them in order", async () => {
    const drive = await VtlDrive.open({ dir: root, index: 0 });
    try {
      await drive.setBlockSize(BLOCK);
      const buffers = Array.from({ length: 8 }, () => randomBytes(TRANSFER));
      const placed: QueuedWrite[] = [];
      // Every write is placed before any has been waited for.
      for (const b of buffers) placed.push(await drive.writeQueued(b));
      expect(placed.map((p) => p.outcome.type)).toEqual(buffers.map(() => "written"));
      expect(await drive.tell()).toBe((8 * TRANSFER) / BLOCK);
      await Promise.all(placed.map((p) => p.landed));
      // A file mark waits for what is still landing (none here), then the file reads back whole.
      await drive.writeFileMarks(1);
      const file = join(libraryPaths(root).cartridge("TB0001L9"), tapeFileName(0));
      expect(await readFile(file)).toEqual(Buffer.concat(buffers));
      await drive.rewind();
      const read = await drive.read(8 * TRANSFER);
      expect(read.type === "data" && Buffer.compare(read.data, Buffer.concat(buffers))).toBe(0);
    } finally {
      await drive.close();
    }
  });

  it("a file mark written right after unlanded writes comes after all their bytes", async () => {
    const drive = await VtlDrive.open({ dir: root, index: 0 });
    try {
      await drive.setBlockSize(BLOCK);
      const buffers = Array.from({ length: 6 }, () => randomBytes(TRANSFER));
      for (const b of buffers) await drive.writeQueued(b);
      await drive.writeFileMarks(1);
      await drive.write(Buffer.alloc(BLOCK, 1));
      await drive.writeFileMarks(1);
      const cart = libraryPaths(root).cartridge("TB0001L9");
      expect(await readFile(join(cart, tapeFileName(0)))).toEqual(Buffer.concat(buffers));
      expect(await readFile(join(cart, tapeFileName(1)))).toEqual(Buffer.alloc(BLOCK, 1));
    } finally {
      await drive.close();
    }
  });

  it("a queued write that cannot land (ENOSPC) fails the file mark after it and every later write", async () => {
    // The cartridge's first tape file is /dev/full: placing succeeds, landing fails.
    const cart = libraryPaths(root).cartridge("TB0001L9");
    await mkdir(cart, { recursive: true });
    await symlink("/dev/full", join(cart, tapeFileName(0)));
    const drive = await VtlDrive.open({ dir: root, index: 0 });
    await drive.setBlockSize(BLOCK);
    const placed = await drive.writeQueued(randomBytes(TRANSFER));
    expect(placed.outcome.type).toBe("written");
    await expect(placed.landed).rejects.toMatchObject({ code: "ENOSPC" });
    await expect(drive.writeFileMarks(1)).rejects.toMatchObject({ code: "ENOSPC" });
    await expect(drive.write(randomBytes(TRANSFER))).rejects.toMatchObject({ code: "ENOSPC" });
    await expect(drive.close()).rejects.toMatchObject({ code: "ENOSPC" });
  });

  it("writes pooled buffers past the page cache where the disk allows it, and the tape file holds every write in order", async () => {
    const cart = libraryPaths(root).cartridge("TB0001L9");
    const medium = await TapeMedium.open(cart);
    try {
      const filled = (bytes: number, seed: number) => {
        const b = allocDirectBuffer(bytes);
        randomBytes(bytes).copy(b);
        b[0] = seed;
        return b;
      };
      const a = filled(TRANSFER, 1);
      const ordinary = randomBytes(TRANSFER);
      const b = filled(TRANSFER, 2);
      const misplaced = filled(TRANSFER + 512, 3).subarray(512);
      const c = filled(TRANSFER, 4);
      const first = await medium.startFile(BLOCK);
      const writes = [a, ordinary, b, misplaced, c];
      await Promise.all(writes.map((w) => medium.queueBlocks(first, w)));
      // 512-byte blocks: a pooled buffer after one odd block is not at an aligned offset.
      const second = await medium.startFile(512);
      const odd = randomBytes(512);
      const after = filled(TRANSFER, 5);
      await Promise.all([medium.queueBlocks(second, odd), medium.queueBlocks(second, after)]);
      await medium.markFile(second);
      expect(await readFile(join(cart, tapeFileName(first)))).toEqual(Buffer.concat(writes));
      expect(await readFile(join(cart, tapeFileName(second)))).toEqual(Buffer.concat([odd, after]));
      expect(
        Buffer.compare(await medium.readBlocks(first, 0, 5 * (TRANSFER / BLOCK)), Buffer.concat(writes)),
      ).toBe(0);
      // Only the three aligned pooled buffers at aligned offsets went direct (when the disk can).
      expect(medium.directBytes).toBe((await directWritesWork(root)) ? 3 * TRANSFER : 0);
    } finally {
      await medium.close();
    }
  });
});

/** Whether this directory's filesystem takes an O_DIRECT write of an aligned buffer. */
async function directWritesWork(dir: string): Promise<boolean> {
  const path = join(dir, "direct-probe");
  try {
    const fh = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_DIRECT);
    try {
      await fh.write(allocDirectBuffer(4096), 0, 4096, 0);
      return true;
    } finally {
      await fh.close();
    }
  } catch {
    return false;
  } finally {
    await rm(path, { force: true });
  }
}

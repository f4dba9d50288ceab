import { readFile, stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EndOfMediumReached } from "../../drive-agent/drives/block-streams.ts";
import { DEFAULT_BLOCK_SIZE } from "../../drive-agent/drives/drive.ts";
import { setWriteProtect } from "../../drive-agent/drives/vtl/library.ts";
import { VtlDrive } from "../../drive-agent/drives/vtl/vtl-drive.ts";
import { createTestLibrary, openLoadedDrive, type TestLibrary } from "./helpers/vtl-fixture.ts";

const B = DEFAULT_BLOCK_SIZE;
const blocks = (count: number, fill: number) => Buffer.alloc(count * B, fill);

let library: TestLibrary;
let drive: VtlDrive;

beforeEach(async () => {
  library = await createTestLibrary({ capacityBytes: 64 * B, earlyWarningBytes: 8 * B });
  drive = await openLoadedDrive(library);
});

afterEach(async () => {
  await drive.close().catch(() => undefined);
  await library.cleanup();
});

/** Writes files of `sizes[i]` blocks each, every file closed by a mark. */
async function writeFiles(sizes: number[]): Promise<void> {
  for (const [i, size] of sizes.entries()) {
    await drive.write(blocks(size, i + 1));
    await drive.writeFileMarks(1);
  }
}

describe("virtual drive positioning", () => {
  it("starts a loaded blank cartridge at BOT, which is also end of data", async () => {
    const status = await drive.status();
    expect(status).toMatchObject({ fileNumber: 0, blockNumber: 0, barcode: "TB0001L9", generation: "LTO-9" });
    expect(status.flags).toMatchObject({ bot: true, eod: true, online: true });
  });

  it("spaces forward over file marks to the first block of a later file", async () => {
    await writeFiles([2, 3, 1]);
    await drive.rewind();
    await drive.forwardSpaceFiles(2);
    expect(await drive.status()).toMatchObject({
      fileNumber: 2,
      blockNumber: 0,
      flags: { eof: true, bot: false },
    });
    const outcome = await drive.read(B);
    expect(outcome.type === "data" && outcome.data[0]).toBe(3);
  });

  it("lands on the BOT side of the mark after backspacing, with the block number unknown", async () => {
    await writeFiles([2, 3]);
    await drive.backSpaceFiles(1);
    const status = await drive.status();
    expect(status.fileNumber).toBe(1);
    expect(status.blockNumber).toBe(-1);
    expect(await drive.read(B)).toEqual({ type: "filemark" });
  });

  it("fails spacing past the last file mark and stops at end of data", async () => {
    await writeFiles([1, 1]);
    await drive.rewind();
    await expect(drive.forwardSpaceFiles(3)).rejects.toMatchObject({ code: "IO_ERROR" });
    expect((await drive.status()).flags.eod).toBe(true);
  });

  it("spaces to end of data and appends there", async () => {
    await writeFiles([1, 1]);
    await drive.rewind();
    await drive.spaceToEndOfData();
    expect(await drive.status()).toMatchObject({ fileNumber: 2, blockNumber: 0, flags: { eod: true } });
    await writeFiles([1]);
    await drive.rewind();
    await drive.forwardSpaceFiles(2);
    const outcome = await drive.read(B);
    expect(outcome.type === "data" && outcome.data[0]).toBe(1);
  });

  it("locates by logical block address counting file marks, and forgets file numbers like st", async () => {
    await writeFiles([2, 3]);
    // file 0: blocks 0-1, mark 2; file 1: blocks 3-5, mark 6
    await drive.locate(4);
    expect(await drive.tell()).toBe(4);
    const status = await drive.status();
    expect([status.fileNumber, status.blockNumber]).toEqual([-1, -1]);
    const outcome = await drive.read(B);
    expect(outcome.type === "data" && outcome.data[0]).toBe(2);
    expect(await drive.tell()).toBe(5);
  });

  it("rewinds to BOT from anywhere", async () => {
    await writeFiles([1]);
    await drive.rewind();
    expect((await drive.status()).flags.bot).toBe(true);
  });
});

describe("virtual drive reads", () => {
  it("stops a read at the file mark and continues with the next file after it", async () => {
    await writeFiles([3, 1]);
    await drive.rewind();
    const first = await drive.read(8 * B);
    expect(first.type === "data" && first.data.length).toBe(3 * B);
    expect(await drive.read(8 * B)).toEqual({ type: "filemark" });
    expect(await drive.status()).toMatchObject({ fileNumber: 1, blockNumber: 0 });
    const second = await drive.read(8 * B);
    expect(second.type === "data" && second.data[0]).toBe(2);
  });

  it("reads end of data as 0 bytes twice, then fails with EIO", async () => {
    await writeFiles([1]);
    await drive.spaceToEndOfData();
    expect(await drive.read(B)).toEqual({ type: "eod" });
    expect(await drive.read(B)).toEqual({ type: "eod" });
    await expect(drive.read(B)).rejects.toMatchObject({ code: "IO_ERROR" });
  });

  it("ends a read stream at the file mark and reports it", async () => {
    await writeFiles([5, 2]);
    await drive.rewind();
    const { stream, done } = await drive.openReadStream();
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).length).toBe(5 * B);
    expect(await done).toMatchObject({ fileNumber: 0, blocks: 5, stoppedAt: "filemark" });
  });

  it("counts the blocks it reads", async () => {
    await writeFiles([4, 4]);
    const before = drive.counters().blocksRead;
    await drive.rewind();
    await drive.forwardSpaceFiles(1);
    await drive.read(B);
    expect(drive.counters().blocksRead - before).toBe(1);
  });

  it("refuses to read blocks of another size, as fixed-block st does", async () => {
    await drive.setBlockSize(512);
    await drive.write(Buffer.alloc(512, 7));
    await drive.writeFileMarks(1);
    await drive.setBlockSize(B);
    await drive.rewind();
    await expect(drive.read(B)).rejects.toMatchObject({ code: "BLOCK_SIZE_MISMATCH" });
  });
});

describe("virtual drive writes", () => {
  it("writes a file mark when a handle closes after writing, as closing /dev/nstN does", async () => {
    await drive.write(blocks(2, 9));
    await drive.close();
    drive = await VtlDrive.open({ dir: library.dir, index: 0 });
    await drive.rewind();
    await drive.forwardSpaceFiles(1);
    expect((await drive.status()).flags.eod).toBe(true);
  });

  it("discards everything after the position when writing in the middle of a tape", async () => {
    await writeFiles([2, 2, 2]);
    await drive.rewind();
    await drive.forwardSpaceFiles(1);
    await drive.write(blocks(1, 0xee));
    await drive.writeFileMarks(1);
    await drive.rewind();
    await drive.spaceToEndOfData();
    expect((await drive.status()).fileNumber).toBe(2);
    expect((await stat(drive.tapeFilePath(1))).size).toBe(B);
    await expect(stat(`${library.dir}/cartridges/TB0001L9/file-0002`)).rejects.toThrow();
  });

  it("truncates inside a file when writing at a located block", async () => {
    await writeFiles([4]);
    await drive.locate(2);
    await drive.write(blocks(1, 0xaa));
    await drive.writeFileMarks(1);
    const content = await readFile(drive.tapeFilePath(0));
    expect(content.length).toBe(3 * B);
    expect(content[2 * B]).toBe(0xaa);
  });

  it("signals end of medium after early warning, alternating refusals and keeping every byte written", async () => {
    // capacity 64 blocks, early warning at 56
    await drive.write(blocks(50, 1));
    const crossing = await drive.write(blocks(8, 2));
    expect(crossing).toEqual({ type: "written", bytes: 8 * B, blocks: 8, earlyWarning: true });
    expect(await drive.write(blocks(1, 3))).toEqual({ type: "end-of-medium" });
    expect(await drive.write(blocks(1, 4))).toMatchObject({ type: "written", earlyWarning: true });
    expect(await drive.write(blocks(1, 5))).toEqual({ type: "end-of-medium" });
    expect((await drive.status()).flags.eot).toBe(true);
    await drive.writeFileMarks(1);
    expect((await stat(drive.tapeFilePath(0))).size).toBe(59 * B);
  });

  it("reports end of medium from a write stream as a value, with the kept bytes, and closes the file", async () => {
    const { stream, done } = await drive.openWriteStream();
    const source = Readable.from(
      (function* () {
        for (let i = 0; i < 80; i++) yield blocks(1, i);
      })(),
    );
    const failure = await pipeline(source, stream).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EndOfMediumReached);
    const summary = await done;
    expect(summary.endOfMedium).toBe(true);
    expect(summary.earlyWarning).toBe(true);
    expect((await stat(drive.tapeFilePath(0))).size).toBe(summary.bytes);
    expect(summary.bytes).toBeGreaterThanOrEqual(56 * B);
    await drive.rewind();
    await drive.forwardSpaceFiles(1);
    expect((await drive.status()).flags.eod).toBe(true);
  });

  it("still accepts the trailer after end of medium: a TOC file after the cut data file", async () => {
    // An early-warning zone larger than one 4 MiB stream transfer, as on real cartridges.
    const big = await createTestLibrary({ capacityBytes: 256 * B, earlyWarningBytes: 64 * B });
    const tape = await openLoadedDrive(big);
    try {
      const data = await tape.openWriteStream();
      const source = Readable.from(
        (function* () {
          for (let i = 0; i < 300; i++) yield blocks(1, 0x10);
        })(),
      );
      expect(await pipeline(source, data.stream).catch((error: unknown) => error)).toBeInstanceOf(
        EndOfMediumReached,
      );
      const cut = await data.done;
      expect(cut).toMatchObject({ endOfMedium: true, earlyWarning: true, blocks: 192 });
      const toc = await tape.openWriteStream();
      toc.stream.end(blocks(1, 0x7b));
      expect(await toc.done).toMatchObject({ fileNumber: 1, blocks: 1, endOfMedium: false });
      await tape.rewind();
      const back = await tape.openReadStream();
      let bytes = 0;
      for await (const chunk of back.stream) bytes += (chunk as Buffer).length;
      expect(bytes).toBe(cut.bytes);
      const tocBlock = await tape.read(B);
      expect(tocBlock.type === "data" && tocBlock.data[0]).toBe(0x7b);
    } finally {
      await tape.close();
      await big.cleanup();
    }
  });

  it("refuses writes and file marks on a write-protected cartridge", async () => {
    await drive.close();
    await setWriteProtect({ dir: library.dir, barcode: "TB0001L9", on: true });
    drive = await VtlDrive.open({ dir: library.dir, index: 0 });
    expect((await drive.status()).flags.writeProtected).toBe(true);
    await expect(drive.write(blocks(1, 1))).rejects.toMatchObject({
      code: "WRITE_PROTECTED",
      recovery: "operator",
    });
    await expect(drive.writeFileMarks(1)).rejects.toMatchObject({ code: "WRITE_PROTECTED" });
  });

  it("refuses a write that is not a whole number of blocks", async () => {
    await expect(drive.write(Buffer.alloc(1000))).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
  });

  it("lets only one handle use a drive at a time, telling the second to retry", async () => {
    await expect(VtlDrive.open({ dir: library.dir, index: 0 })).rejects.toMatchObject({
      code: "DRIVE_BUSY",
      recovery: "retry",
    });
  });
});

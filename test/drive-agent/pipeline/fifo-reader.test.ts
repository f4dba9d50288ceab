import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCommand } from "../../../drive-agent/exec.ts";
import { BufferPool } from "../../../drive-agent/pipeline/buffer-pool.ts";
import { FifoReader, unblockFifo } from "../../../drive-agent/pipeline/fifo-reader.ts";

let root: string;
let fifo: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "tapebackarr-fifo-"));
  fifo = join(root, "out.fifo");
  await runCommand({ argv: ["mkfifo", "--", fifo] });
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe("the buffer pool", () => {
  it("lends at most its count and takes a buffer back only when its last piece is released", () => {
    const pool = new BufferPool(1024, 2);
    const a = pool.take() as Buffer;
    const b = pool.take() as Buffer;
    expect(pool.take()).toBeNull();
    pool.retain(a.subarray(512));
    pool.release(a.subarray(0, 512));
    expect(pool.available).toBe(0);
    pool.release(a.subarray(512));
    expect(pool.available).toBe(1);
    // A buffer that is not the pool's passes through untouched.
    pool.release(Buffer.alloc(1024));
    expect(pool.available).toBe(1);
    expect(pool.take()).toBe(a);
    pool.release(b);
    expect(pool.bytes).toBe(2048);
  });
});

describe("reading a FIFO into pooled buffers", () => {
  it("hands on every byte in order in full buffers, and holds the writer back while the pool is lent out", async () => {
    const data = randomBytes(5 * 65536 + 1234);
    await writeFile(join(root, "data"), data);
    const writer = runCommand({ argv: ["dd", `if=${join(root, "data")}`, `of=${fifo}`, "bs=64k"] });
    const pool = new BufferPool(65536, 2, { shared: true });
    const reader = await FifoReader.open(fifo, pool);
    const hash = createHash("sha256");
    const sizes: number[] = [];
    for await (const piece of reader) {
      // The consumer holds each buffer a while: the pool (two buffers) is all the reader has.
      expect(pool.available).toBeLessThanOrEqual(1);
      await new Promise((resolve) => setTimeout(resolve, 5));
      hash.update(piece);
      sizes.push(piece.length);
      pool.release(piece);
    }
    expect((await writer).exitCode).toBe(0);
    expect(sizes).toEqual([65536, 65536, 65536, 65536, 65536, 1234]);
    expect(hash.digest("hex")).toBe(createHash("sha256").update(data).digest("hex"));
    expect(pool.bytes).toBe(2 * 65536);
  });

  it("lets a reader waiting for a writer that never came go, with nothing read", async () => {
    const pool = new BufferPool(4096, 2, { shared: true });
    const opening = FifoReader.open(fifo, pool);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await unblockFifo(fifo);
    const pieces: Buffer[] = [];
    for await (const piece of await opening) pieces.push(piece);
    expect(pieces).toEqual([]);
  });

  it("fails its consumer with words, and does not hang, when its reader thread dies while tar writes", async () => {
    // A writer that keeps writing: only the reader's end can stop it.
    const writer = spawn("dd", ["if=/dev/zero", `of=${fifo}`, "bs=64k"], { stdio: "ignore" });
    try {
      const pool = new BufferPool(65536, 2, { shared: true });
      const reader = await FifoReader.open(fifo, pool);
      let pieces = 0;
      const consumed = (async () => {
        for await (const piece of reader) {
          if (++pieces === 3) await reader.thread.terminate();
          pool.release(piece);
        }
      })();
      await expect(consumed).rejects.toThrow(
        /FIFO reader thread stopped \(exit code 1\) before tar's output ended/,
      );
    } finally {
      writer.kill("SIGKILL");
      await new Promise((resolve) =>
        writer.exitCode === null ? writer.once("exit", resolve) : resolve(null),
      );
    }
  });

  it("refuses a pool whose buffers a thread cannot share", async () => {
    const writer = runCommand({ argv: ["dd", "if=/dev/zero", `of=${fifo}`, "bs=4k", "count=4"] });
    const reader = await FifoReader.open(fifo, new BufferPool(4096, 2));
    await expect(
      (async () => {
        for await (const _ of reader) void _;
      })(),
    ).rejects.toThrow(/pool of shared buffers/);
    await writer;
  });
});

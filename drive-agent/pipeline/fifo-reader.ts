import { close as closeCallback, constants, open as openCallback } from "node:fs";
import { promisify } from "node:util";
import { Worker } from "node:worker_threads";
import type { BufferPool } from "./buffer-pool.ts";

const openFd = promisify(openCallback);
const closeFd = promisify(closeCallback);

/** The reader thread's side of the signal: [0] counts buffers handed to it, [1] asks it to stop. */
const HANDED = 0;
const STOP = 1;
/**
 * Buffers the thread holds at once. One is enough: a buffer (1–8 MiB) takes many reads to fill,
 * and the next is handed the moment the main thread hears it is full. Each one more is a buffer
 * more resident (the 1M-file zstd run's peak RSS, measured 2026-12-01).
 */
const READ_AHEAD = 1;

/**
 * The reader thread: blocking reads of the FIFO into the buffers it is handed, in order; a full
 * buffer (or the last one at end of file) goes back as a message. A thread of its own keeps tar's
 * 64 KiB pipe drained while the main thread hashes (docs/adr/0036). Plain JavaScript, so it runs
 * under Node and tsx alike.
 */
const THREAD_SOURCE = `
const { workerData, parentPort, receiveMessageOnPort } = require("node:worker_threads");
const { readSync } = require("node:fs");
const { fd, signal } = workerData;
const flags = new Int32Array(signal);
const queue = [];
let filled = 0;
let waitedMs = 0;
try {
  for (;;) {
    const seen = Atomics.load(flags, ${HANDED});
    for (let m; (m = receiveMessageOnPort(parentPort)); ) queue.push(Buffer.from(m.message.memory, 0, m.message.bytes));
    if (Atomics.load(flags, ${STOP}) !== 0) break;
    if (queue.length === 0) {
      const from = performance.now();
      Atomics.wait(flags, ${HANDED}, seen);
      waitedMs += performance.now() - from;
      continue;
    }
    const buffer = queue[0];
    const bytes = readSync(fd, buffer, filled, buffer.length - filled, null);
    if (bytes === 0) {
      parentPort.postMessage({ type: "end", filled, waitedMs });
      break;
    }
    filled += bytes;
    if (filled === buffer.length) {
      parentPort.postMessage({ type: "full" });
      queue.shift();
      filled = 0;
    }
  }
} catch (error) {
  parentPort.postMessage({ type: "error", message: String(error && error.message || error) });
}
`;

type ThreadMessage =
  | { type: "full" }
  | { type: "end"; filled: number; waitedMs: number }
  | { type: "error"; message: string };

/**
 * Reads a FIFO (tar writes its archive there) straight into the pool's buffers on a thread of its
 * own, so a pipe read allocates nothing and tar never waits for the main thread (docs/adr/0014,
 * 0036). Yields each buffer once it is full (the last one as far as it got); the consumer releases
 * it to the pool, which hands it back to the thread. When every buffer is lent the thread waits,
 * and so does tar: memory stays at the pool's size. The pool's buffers must be shared.
 */
export class FifoReader implements AsyncIterable<Buffer> {
  /** Buffers handed to the thread, in the order it fills them. */
  private readonly handed: Buffer[] = [];
  private readonly ready: Buffer[] = [];
  private ended = false;
  private failure: unknown = null;
  private wake: (() => void) | null = null;
  private readonly signal = new Int32Array(new SharedArrayBuffer(8));
  private paused = 0;
  private waitingForPool = false;
  /** The thread that reads the FIFO (exposed for the tests of a thread that dies). */
  readonly thread: Worker;

  private constructor(
    private readonly pool: BufferPool,
    fd: number,
  ) {
    if (pool.count < 2) throw new Error("the FIFO reader needs a pool of at least two buffers");
    this.thread = new Worker(THREAD_SOURCE, {
      eval: true,
      // Not the process's --import tsx: the thread runs plain JavaScript and needs no loader.
      execArgv: [],
      workerData: { fd, signal: this.signal.buffer },
      // It holds nothing but a queue of buffers it does not own.
      resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 },
    });
    this.thread.on("message", (message: ThreadMessage) => this.onMessage(message));
    this.thread.on("error", (error) =>
      this.fail(new Error(`the FIFO reader thread failed: ${error.message}`)),
    );
    this.thread.on("exit", (code) => {
      // The FIFO is closed here, not in the thread: a thread that was terminated runs no cleanup.
      closeCallback(fd, () => undefined);
      if (!this.ended && !this.failure)
        this.fail(new Error(`the FIFO reader thread stopped (exit code ${code}) before tar's output ended`));
    });
    this.topUp();
  }

  /**
   * Opens the FIFO for reading: this waits until a writer opens it, so a writer that dies first
   * must be answered with `unblockFifo`.
   */
  static async open(path: string, pool: BufferPool): Promise<FifoReader> {
    const fd = await openFd(path, constants.O_RDONLY);
    try {
      return new FifoReader(pool, fd);
    } catch (error) {
      await closeFd(fd);
      throw error;
    }
  }

  /**
   * Keeps the thread holding READ_AHEAD buffers until the output ends. Not every free one: the pool
   * allocates a buffer when first taken, and a thread holding them all makes the whole pool
   * resident where the old reader needed only the one it filled.
   */
  private topUp(): void {
    while (!this.ended && !this.failure && this.handed.length < READ_AHEAD) {
      const buffer = this.pool.take();
      if (!buffer) {
        if (this.waitingForPool) return;
        this.waitingForPool = true;
        void this.pool.whenFree().then(() => {
          this.waitingForPool = false;
          this.topUp();
        });
        return;
      }
      if (!(buffer.buffer instanceof SharedArrayBuffer)) {
        this.pool.release(buffer);
        this.fail(new Error("the FIFO reader needs a pool of shared buffers"));
        return;
      }
      this.handed.push(buffer);
      this.thread.postMessage({ memory: buffer.buffer, bytes: buffer.length });
      Atomics.add(this.signal, HANDED, 1);
      Atomics.notify(this.signal, HANDED);
    }
  }

  private onMessage(message: ThreadMessage): void {
    if (message.type === "error") {
      this.fail(new Error(`reading tar's output failed: ${message.message}`));
      return;
    }
    if (message.type === "full") {
      this.ready.push(this.handed.shift() as Buffer);
      this.topUp();
    } else {
      const last = this.handed.shift();
      if (last && message.filled > 0) this.ready.push(last.subarray(0, message.filled));
      else if (last) this.pool.release(last);
      for (const unused of this.handed.splice(0)) this.pool.release(unused);
      this.paused = message.waitedMs;
      this.ended = true;
    }
    this.notify();
  }

  /** How long tar was held back because every buffer was lent (the stages after it were behind). */
  get pausedMs(): number {
    return this.paused;
  }

  /** Ends the reader with an error for its consumer (or quietly, for a stopped pipeline). */
  fail(error: unknown): void {
    this.failure ??= error;
    this.stopThread();
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    try {
      for (;;) {
        const next = this.ready.shift();
        if (next) {
          yield next;
          continue;
        }
        if (this.failure) throw this.failure;
        if (this.ended) return;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
      }
    } finally {
      // A consumer that stops early lets the thread go.
      if (!this.ended) this.stopThread();
    }
  }

  private stopThread(): void {
    // The thread stops at its next turn; a read it is blocked in ends when tar (killed) closes.
    Atomics.store(this.signal, STOP, 1);
    Atomics.notify(this.signal, HANDED);
  }
}

/**
 * Lets a reader that is still waiting in `FifoReader.open` go (it then reads end of file): for a
 * writer that exited, or was stopped, before it opened the FIFO.
 */
export async function unblockFifo(path: string): Promise<void> {
  try {
    const fd = await openFd(path, constants.O_WRONLY | constants.O_NONBLOCK);
    await closeFd(fd);
  } catch {
    // ENXIO: no reader is waiting (it opened already, or never will); nothing to release.
  }
}

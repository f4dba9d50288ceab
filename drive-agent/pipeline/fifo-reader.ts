import { close as closeCallback, constants, open as openCallback } from "node:fs";
import { Socket } from "node:net";
import { promisify } from "node:util";
import type { BufferPool } from "./buffer-pool.ts";

const openFd = promisify(openCallback);
const closeFd = promisify(closeCallback);

/**
 * Reads a FIFO (tar writes its archive there) straight into the pool's buffers with a socket's
 * `onread` buffer, so a pipe read allocates nothing. Yields each buffer once it is full (the
 * last one as far as it got); the consumer releases it to the pool. When every buffer is lent
 * the socket pauses, and so does tar: memory stays at the pool's size.
 */
export class FifoReader implements AsyncIterable<Buffer> {
  private current: Buffer | null = null;
  private filled = 0;
  private readonly ready: Buffer[] = [];
  private ended = false;
  private failure: unknown = null;
  private wake: (() => void) | null = null;
  private socket: Socket | null = null;
  private paused = 0;

  private constructor(private readonly pool: BufferPool) {}

  /**
   * Opens the FIFO for reading: this waits until a writer opens it, so a writer that dies first
   * must be answered with `unblockFifo`.
   */
  static async open(path: string, pool: BufferPool): Promise<FifoReader> {
    const reader = new FifoReader(pool);
    const fd = await openFd(path, constants.O_RDONLY);
    reader.start(fd);
    return reader;
  }

  private start(fd: number): void {
    // The reader always holds the buffer the next read goes into (the socket asks for it after
    // every read, paused or not); it pauses while the pool has no buffer for the one after.
    this.current = this.pool.take();
    if (!this.current || this.pool.count < 2)
      throw new Error("the FIFO reader needs a pool of at least two free buffers");
    const socket = new Socket({
      fd,
      readable: true,
      writable: false,
      onread: {
        buffer: () => (this.current as Buffer).subarray(this.filled),
        callback: (bytes: number) => this.onRead(bytes),
      },
    });
    this.socket = socket;
    socket.on("end", () => {
      this.ended = true;
      this.notify();
    });
    socket.on("error", (error) => this.fail(error));
  }

  private onRead(bytes: number): boolean {
    this.filled += bytes;
    const current = this.current as Buffer;
    if (this.filled < current.length) return true;
    this.ready.push(current);
    this.notify();
    this.filled = 0;
    this.current = this.pool.take() as Buffer;
    if (this.pool.available > 0) return true;
    const from = performance.now();
    void this.pool.whenFree().then(() => {
      this.paused += performance.now() - from;
      if (!this.failure && !this.ended) this.socket?.resume();
    });
    return false;
  }

  /** How long tar was held back because every buffer was lent (the stages after it were behind). */
  get pausedMs(): number {
    return this.paused;
  }

  /** Ends the reader with an error for its consumer (or quietly, for a stopped pipeline). */
  fail(error: unknown): void {
    this.failure ??= error;
    this.socket?.destroy();
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    for (;;) {
      const next = this.ready.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.failure) throw this.failure;
      if (this.ended) {
        const last = this.current;
        this.current = null;
        if (last && this.filled > 0) yield last.subarray(0, this.filled);
        else if (last) this.pool.release(last);
        return;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
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

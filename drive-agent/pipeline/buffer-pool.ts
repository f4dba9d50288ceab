import { allocDirectBuffer } from "../drives/direct-memory.ts";

/**
 * A fixed set of equal buffers that tar's output is read into and handed down the pipeline
 * without a copy, then given back: no Buffer per pipe read for the garbage collector to chase
 * (issue 14: GC was a quarter of the CPU). References are counted per buffer, so a buffer cut
 * into pieces (a chunk boundary inside it) comes back only when its last piece has been used.
 * Buffers that are not the pool's pass through `retain` and `release` untouched. They are aligned
 * for direct writes, so a full one goes from where it lies to the vtl's disk (docs/adr/0027).
 */
export class BufferPool {
  private readonly free: Buffer[] = [];
  private readonly leased = new Map<ArrayBufferLike, { buffer: Buffer; refs: number }>();
  private allocated = 0;
  private waiters: Array<() => void> = [];
  private closed = false;

  constructor(
    readonly bufferBytes: number,
    readonly count: number,
    /** Buffers over SharedArrayBuffers, which worker threads read and write without a copy. */
    private readonly options: {
      shared?: boolean;
      /** Shared and still page-aligned, for buffers a direct write reads (unshared ones always are). */
      direct?: boolean;
    } = {},
  ) {
    if (!Number.isInteger(bufferBytes) || bufferBytes < 1 || !Number.isInteger(count) || count < 1)
      throw new RangeError(`a buffer pool needs a positive size and count (got ${bufferBytes} × ${count})`);
  }

  /** Bytes the pool holds or lends: its share of the agent's memory. */
  get bytes(): number {
    return this.allocated * this.bufferBytes;
  }

  /** Buffers that `take` can hand out now. */
  get available(): number {
    return this.free.length + this.count - this.allocated;
  }

  /** A buffer with one reference, or null when all are lent (see `whenFree`). */
  take(): Buffer | null {
    let buffer = this.free.pop();
    if (!buffer && this.allocated < this.count) {
      // A shared buffer that no direct write reads from is a plain SharedArrayBuffer: page-aligned
      // shared memory (a WebAssembly.Memory) made the 1M-file zstd run's peak RSS ~20 MB higher.
      buffer =
        this.options.shared && !this.options.direct
          ? Buffer.from(new SharedArrayBuffer(this.bufferBytes))
          : allocDirectBuffer(this.bufferBytes, this.options.shared);
      this.allocated++;
    }
    if (!buffer) return null;
    this.leased.set(buffer.buffer, { buffer, refs: 1 });
    return buffer;
  }

  /** Resolves once a buffer may be free (or the pool is closed). */
  whenFree(): Promise<void> {
    if (this.closed || this.free.length > 0 || this.allocated < this.count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** One more holder of (a piece of) a lent buffer. */
  retain(piece: Buffer): void {
    const lease = this.leased.get(piece.buffer);
    if (lease) lease.refs++;
  }

  /** A holder is done with (a piece of) a lent buffer; the last one gives it back. */
  release(piece: Buffer): void {
    const lease = this.leased.get(piece.buffer);
    if (!lease) return;
    if (--lease.refs > 0) return;
    this.leased.delete(piece.buffer);
    this.free.push(lease.buffer);
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Releases every waiter for good: the pipeline is stopping. */
  close(): void {
    this.closed = true;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** What a stage does with buffers it keeps beyond a call or is done with. */
export type BufferLease = Pick<BufferPool, "retain" | "release">;

export const NO_LEASE: BufferLease = { retain: () => undefined, release: () => undefined };

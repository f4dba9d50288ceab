import { type BufferLease, NO_LEASE } from "./buffer-pool.ts";
import { DEFAULT_PLAIN_CHUNK_BYTES, uuidBytes } from "./chunk-format.ts";
import type { Compression } from "./encode-worker.ts";
import { EncodeWorkers } from "./encode-workers.ts";

export type { Compression };

/** Where one chunk landed: its plain (tar) range and its range in the set's stream as written. */
export type ChunkPlacement = {
  index: number;
  plainStart: number;
  plainEnd: number;
  streamStart: number;
  streamEnd: number;
};

export type SetEncoderOptions = {
  compression: Compression;
  /** 32-byte AES-256-GCM data key; null writes the (compressed) stream unencrypted. */
  key: Uint8Array | null;
  setUuid: string;
  chunkBytes?: number;
  /**
   * Chunks in flight off the main thread, each with its output slot (2: one being encoded while
   * the one before waits for the drive, or, for gzip, one per thread; a third chunk measured
   * slower and 10–15 MB more RSS on a 2-core box, bench/README.md).
   */
  parallelism?: number;
  /** Receives the set's stream in order; a returned promise holds back further output. */
  sink: (data: Buffer[]) => Promise<void> | void;
  onChunk: (placement: ChunkPlacement) => void;
  /**
   * Pooled input buffers: a piece kept past `push` is retained, and released once compressed
   * (or encrypted); passthrough pieces go to the sink, whose consumer releases them.
   */
  lease?: BufferLease;
  /** Test seam: sees the worker threads once they are started (to make one die). */
  onWorkers?: (workers: EncodeWorkers) => void;
};

type Job = { index: number; plainStart: number; plainEnd: number; last: boolean; payload: Promise<Buffer[]> };

/**
 * Threads that compress and encrypt a set's chunks, each on its own core (docs/adr/0031). One for
 * zstd level 1 (and for AES alone): it compresses ~800 MB/s on one core of this 2-core host, and a
 * second thread measured the same speed and ~10–20 MB more RSS (its isolate). gzip level 1 is ten
 * times slower: a thread per chunk in flight, as the thread pool ran it before.
 */
function encoderThreads(compression: Compression, parallelism: number): number {
  return compression === "gzip" ? parallelism : 1;
}

/**
 * Cuts the tar stream into fixed-size plain chunks, compresses each on its own (a zstd frame or a
 * gzip member, so `zstd -dc`/`gzip -dc` read the whole stream and a restore can start at any chunk),
 * encrypts each into an independently decryptable record, and hands the records on in order.
 * With neither compression nor encryption the tar bytes pass through untouched.
 */
export class SetEncoder {
  private readonly chunkBytes: number;
  private readonly parallelism: number;
  private pieces: Buffer[] = [];
  private filled = 0;
  private plainOffset = 0;
  private streamOffset = 0;
  private nextIndex = 0;
  private jobs: Job[] = [];
  private pumping: Promise<void> | null = null;
  private failure: unknown = null;
  private waiters: Array<() => void> = [];
  private readonly lease: BufferLease;
  private readonly workers: EncodeWorkers | null = null;

  constructor(private readonly options: SetEncoderOptions) {
    this.chunkBytes = options.chunkBytes ?? DEFAULT_PLAIN_CHUNK_BYTES;
    this.parallelism = options.parallelism ?? 2;
    this.lease = options.lease ?? NO_LEASE;
    if (this.passthrough) return;
    const { compression, key } = options;
    this.workers = new EncodeWorkers(
      { compression, key, setUuid: uuidBytes(options.setUuid) },
      {
        threads: encoderThreads(compression, this.parallelism),
        chunkBytes: this.chunkBytes,
        // One output slot per chunk being encoded and no more: the drive writer copies a record
        // into its staging buffers (or mbuffer's pipe takes it) and gives the slot back at once;
        // one more measured the same speed and ~3 MB more RSS (bench/README.md).
        slots: this.parallelism,
      },
    );
    options.onWorkers?.(this.workers);
  }

  /**
   * The sink's consumer is done with a piece: an encoded record goes back to the output slots
   * (a piece of other memory passes untouched).
   */
  release(piece: Buffer): void {
    this.workers?.release(piece);
  }

  /** Stops the worker threads; the set is written, or the pipeline is stopping. */
  close(): Promise<void> {
    return this.workers?.close() ?? Promise.resolve();
  }

  get passthrough(): boolean {
    return this.options.compression === "none" && this.options.key === null;
  }

  /** The input size that is compressed without a copy: one buffer per chunk. */
  get chunkSize(): number {
    return this.chunkBytes;
  }

  /** The encoder's threads and the milliseconds they worked, summed (none for passthrough). */
  get encoding(): { busyMs: number; threads: number } {
    return { busyMs: this.workers?.busyMs ?? 0, threads: this.workers?.threads.length ?? 0 };
  }

  /** Chunks compressed at once: input buffers held beyond the one being filled. */
  get inFlight(): number {
    return this.parallelism;
  }

  /**
   * Takes plain tar bytes; false asks the caller to wait for `drained()` before pushing more.
   * The buffer is the encoder's (and its sink's) until released through the lease.
   */
  push(data: Buffer): boolean {
    if (this.failure) throw this.failure;
    if (this.passthrough) {
      this.pushPassthrough(data);
      return this.jobs.length < this.parallelism;
    }
    let pos = 0;
    while (pos < data.length) {
      // A chunk is cut only once a byte beyond it exists, so the final chunk is known to be final.
      if (this.filled === this.chunkBytes) this.cut(false);
      const take = Math.min(this.chunkBytes - this.filled, data.length - pos);
      if (pos === 0 && take === data.length) this.pieces.push(data);
      else {
        this.pieces.push(data.subarray(pos, pos + take));
        if (pos + take < data.length) this.lease.retain(data);
      }
      this.filled += take;
      pos += take;
    }
    if (data.length === 0) this.lease.release(data);
    return this.jobs.length < this.parallelism;
  }

  /**
   * The bytes go on whole (never cut, so each pooled buffer is released once, by the sink's
   * consumer); the chunk markers behind them only count where the boundaries fall.
   */
  private pushPassthrough(data: Buffer): void {
    if (data.length > 0) this.pieces.push(data);
    let remaining = data.length;
    while (remaining > 0) {
      if (this.filled === this.chunkBytes) this.cut(false);
      const take = Math.min(this.chunkBytes - this.filled, remaining);
      this.filled += take;
      remaining -= take;
    }
    this.flushPassthrough();
    if (data.length === 0) this.lease.release(data);
  }

  drained(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.jobs.length < this.parallelism) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Ends the stream: the pending chunk goes out as the last one; resolves once all is handed on. */
  async finish(): Promise<void> {
    this.cut(true);
    while (this.pumping) await this.pumping;
    await this.close();
    if (this.failure) throw this.failure;
  }

  private flushPassthrough(): void {
    // Pass bytes straight through; chunk placement is the identity (the range is not used).
    if (this.pieces.length === 0) return;
    const pieces = this.pieces;
    this.pieces = [];
    this.jobs.push({
      index: -1,
      plainStart: -1,
      plainEnd: -1,
      last: false,
      payload: Promise.resolve(pieces),
    });
    this.pump();
  }

  private cut(last: boolean): void {
    if (this.passthrough) {
      this.flushPassthrough();
      const index = this.nextIndex++;
      const start = index * this.chunkBytes;
      if (this.filled > 0 || last)
        this.jobs.push({
          index,
          plainStart: start,
          plainEnd: start + this.filled,
          last,
          payload: Promise.resolve([]),
        });
      this.plainOffset += this.filled;
      this.filled = 0;
      this.pump();
      return;
    }
    if (this.filled === 0 && !last) return;
    const pieces = this.pieces;
    const index = this.nextIndex++;
    const plainStart = this.plainOffset;
    this.pieces = [];
    this.plainOffset += this.filled;
    this.filled = 0;
    // Compressed and encrypted in a worker thread, read from the pooled buffer where it lies.
    const workers = this.workers as EncodeWorkers;
    const payload = workers
      .encode({ index, plainOffset: plainStart, last }, pieces)
      .then((record) => [record])
      .finally(() => {
        for (const piece of pieces) this.lease.release(piece);
      });
    payload.catch(() => undefined);
    this.jobs.push({ index, plainStart, plainEnd: this.plainOffset, last, payload });
    this.pump();
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = (async () => {
      try {
        while (this.jobs.length > 0) {
          const job = this.jobs[0] as Job;
          const payload = await job.payload;
          this.jobs.shift();
          if (job.index >= 0 && this.passthrough) {
            // A bookkeeping marker: the passthrough bytes of this chunk have all been handed on.
            const start = job.plainStart;
            this.options.onChunk({
              index: job.index,
              plainStart: start,
              plainEnd: job.plainEnd,
              streamStart: start,
              streamEnd: job.plainEnd,
            });
            this.wake();
            continue;
          }
          const out = payload;
          const length = out.reduce((n, b) => n + b.length, 0);
          const streamStart = this.streamOffset;
          this.streamOffset += length;
          if (job.index >= 0)
            this.options.onChunk({
              index: job.index,
              plainStart: job.plainStart,
              plainEnd: job.plainEnd,
              streamStart,
              streamEnd: this.streamOffset,
            });
          if (length > 0) await this.options.sink(out);
          this.wake();
        }
      } catch (error) {
        this.failure = error;
        this.jobs = [];
        this.wake();
      } finally {
        this.pumping = null;
      }
    })();
  }

  private wake(): void {
    if (this.jobs.length >= this.parallelism && !this.failure) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

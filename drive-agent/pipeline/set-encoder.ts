import { constants, createGzip, createZstdCompress } from "node:zlib";
import { type BufferLease, NO_LEASE } from "./buffer-pool.ts";
import { DEFAULT_PLAIN_CHUNK_BYTES, encryptChunk, uuidBytes } from "./chunk-format.ts";

export type Compression = "none" | "gzip" | "zstd";

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
   * Chunks compressed at once in libuv's thread pool (2: both cores busy with zstd, as
   * `zstd -T2`; the pool's other two threads stay free for the vtl's queued writes; a third
   * chunk measured slower and 10–15 MB more RSS on a 2-core box, bench/README.md).
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
};

const OUTPUT_PIECE_BYTES = 1 << 20;

/**
 * One chunk compressed in libuv's thread pool into zlib's output pieces, kept as pieces (no
 * concat: encryption and the drive writer both take pieces). The bytes are zlib's one-shot
 * `zstdCompress`/`gzip` output: the same engine, given the whole chunk as its last write.
 */
function compress(kind: Compression, plain: Buffer): Promise<Buffer[]> {
  // zlib hands output back in chunkSize pieces (16 KiB by default), each a call into JS and a
  // Buffer to collect: 1 MiB pieces cut that overhead (and its garbage) by 64.
  const engine =
    kind === "zstd"
      ? createZstdCompress({
          chunkSize: OUTPUT_PIECE_BYTES,
          params: { [constants.ZSTD_c_compressionLevel]: 1, [constants.ZSTD_c_checksumFlag]: 1 },
        })
      : createGzip({ level: 1, chunkSize: OUTPUT_PIECE_BYTES });
  return new Promise((resolve, reject) => {
    const pieces: Buffer[] = [];
    engine.on("data", (piece: Buffer) => pieces.push(piece));
    engine.once("error", reject);
    engine.once("end", () => resolve(pieces));
    engine.end(plain);
  });
}

type Job = { index: number; plainStart: number; plainEnd: number; last: boolean; payload: Promise<Buffer[]> };

/**
 * Cuts the tar stream into fixed-size plain chunks, compresses each on its own (a zstd frame or a
 * gzip member, so `zstd -dc`/`gzip -dc` read the whole stream and a restore can start at any chunk),
 * encrypts each into an independently decryptable record, and hands the records on in order.
 * With neither compression nor encryption the tar bytes pass through untouched.
 */
export class SetEncoder {
  private readonly chunkBytes: number;
  private readonly parallelism: number;
  private readonly uuid: Buffer;
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

  constructor(private readonly options: SetEncoderOptions) {
    this.chunkBytes = options.chunkBytes ?? DEFAULT_PLAIN_CHUNK_BYTES;
    this.parallelism = options.parallelism ?? 2;
    this.uuid = uuidBytes(options.setUuid);
    this.lease = options.lease ?? NO_LEASE;
  }

  get passthrough(): boolean {
    return this.options.compression === "none" && this.options.key === null;
  }

  /** The input size that is compressed without a copy: one buffer per chunk. */
  get chunkSize(): number {
    return this.chunkBytes;
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
    const { compression, key } = this.options;
    // Compression (zlib) runs in libuv's thread pool, `parallelism` chunks at once; encryption
    // (node:crypto, AES-NI: GB/s) runs on the main thread over the compressed pieces as they
    // are, without the copies WebCrypto makes of its input and output.
    // A chunk read into one pooled buffer is compressed from it in place: no concat.
    const joined = () => (pieces.length === 1 && pieces[0] ? pieces[0] : Buffer.concat(pieces));
    const release = () => {
      for (const piece of pieces) this.lease.release(piece);
    };
    const compressed: Promise<Buffer[]> =
      compression === "none" ? Promise.resolve(pieces) : compress(compression, joined()).finally(release);
    const { uuid } = this;
    const payload = key
      ? compressed.then((parts) => {
          try {
            return encryptChunk(key, uuid, { index, plainOffset: plainStart, last }, parts);
          } finally {
            if (compression === "none") release();
          }
        })
      : compressed;
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

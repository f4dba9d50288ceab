import { Worker } from "node:worker_threads";
import { BufferPool } from "./buffer-pool.ts";
import { CHUNK_HEADER_BYTES, CHUNK_TAG_BYTES } from "./chunk-format.ts";
import type { EncodeJob, EncodeReply, EncodeWorkerSetup, PlainPiece } from "./encode-worker.ts";

export type EncodeWorkersOptions = {
  /** Worker threads, and so chunks encoded at once. */
  threads: number;
  /** The largest plain chunk: an output slot holds its record in the worst case. */
  chunkBytes: number;
  /** Output slots: the records being encoded plus those waiting for the drive. */
  slots: number;
};

type Pending = {
  worker: Worker;
  out: Buffer;
  resolve: (record: Buffer) => void;
  reject: (error: unknown) => void;
};

const WORKER_URL = new URL("./encode-worker.ts", import.meta.url);

/**
 * The threads that compress and encrypt a set's chunks (docs/adr/0026). A chunk is read where it
 * lies (a shared pool buffer) and its record comes back in a shared output slot of a fixed pool,
 * so the main thread allocates nothing per chunk and memory is bounded by the slots. A thread
 * that dies fails every chunk in flight and every later one with a message that says so.
 */
export class EncodeWorkers {
  readonly threads: readonly Worker[];
  private readonly outputs: BufferPool;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private busy = 0;
  private failure: Error | null = null;
  private closing = false;

  constructor(setup: EncodeWorkerSetup, options: EncodeWorkersOptions) {
    // zstd's and deflate's worst case stays under 1/128 above the input; a record that still does
    // not fit comes back in memory of its own (spill), never cut.
    const slotBytes =
      options.chunkBytes + (options.chunkBytes >> 7) + 65536 + CHUNK_HEADER_BYTES + CHUNK_TAG_BYTES;
    this.outputs = new BufferPool(slotBytes, options.slots, { shared: true });
    const label = describe(setup);
    this.threads = Array.from({ length: options.threads }, () => {
      const worker = new Worker(WORKER_URL, {
        workerData: { encodeWorker: setup },
        // Its heap holds little (the chunk and its pieces are external memory); keep it small.
        resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
      });
      worker.on("message", (reply: EncodeReply) => this.settle(reply));
      worker.on("error", (error) =>
        this.fail(new Error(`the ${label} worker thread failed: ${error.message}`)),
      );
      worker.on("exit", (code) => {
        if (!this.closing)
          this.fail(
            new Error(
              `the ${label} worker thread stopped (exit code ${code}) while the set was being written`,
            ),
          );
      });
      return worker;
    });
  }

  /** The chunk's record, in an output slot that goes back with `release` once it is written. */
  async encode(
    chunk: { index: number; plainOffset: number; last: boolean },
    plain: readonly Buffer[],
  ): Promise<Buffer> {
    const out = await this.slot();
    const id = this.nextId++;
    const worker = this.leastBusy();
    const { pieces, transfer } = lend(plain);
    const job: EncodeJob = { id, ...chunk, plain: pieces, out: out.buffer as SharedArrayBuffer };
    return new Promise<Buffer>((resolve, reject) => {
      this.pending.set(id, { worker, out, resolve, reject });
      worker.postMessage(job, transfer);
    });
  }

  /** Milliseconds the threads spent compressing and encrypting, summed over them. */
  get busyMs(): number {
    return this.busy;
  }

  /** A holder is done with a record (pieces of other pools pass untouched). */
  release(piece: Buffer): void {
    this.outputs.release(piece);
  }

  /** Stops the threads: the set is written, or the pipeline is stopping. */
  async close(): Promise<void> {
    this.closing = true;
    this.fail(new Error("the set's encoder is closed"));
    await Promise.all(this.threads.map((w) => w.terminate()));
  }

  private async slot(): Promise<Buffer> {
    for (;;) {
      if (this.failure) throw this.failure;
      const out = this.outputs.take();
      if (out) return out;
      await this.outputs.whenFree();
    }
  }

  private leastBusy(): Worker {
    const load = new Map<Worker, number>(this.threads.map((w) => [w, 0]));
    for (const p of this.pending.values()) load.set(p.worker, (load.get(p.worker) ?? 0) + 1);
    return [...load].sort((a, b) => a[1] - b[1])[0]?.[0] as Worker;
  }

  private settle(reply: EncodeReply): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    if ("error" in reply) {
      this.outputs.release(pending.out);
      pending.reject(new Error(`a chunk could not be encoded: ${reply.error}`));
      return;
    }
    this.busy += reply.busyMs;
    if (reply.spill) {
      this.outputs.release(pending.out);
      pending.resolve(Buffer.from(reply.spill));
    } else pending.resolve(pending.out.subarray(0, reply.length));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
    this.outputs.close();
    if (!this.closing) {
      this.closing = true;
      for (const w of this.threads) void w.terminate();
    }
  }
}

function describe(setup: EncodeWorkerSetup): string {
  const steps = [setup.compression === "none" ? null : setup.compression, setup.key ? "AES-256-GCM" : null];
  return `${steps.filter(Boolean).join(" + ")} encoder`;
}

/**
 * Shared pool memory is lent as it is (no copy); a piece of other memory (a producer's own
 * buffers) is copied once into memory that is moved to the worker.
 */
function lend(plain: readonly Buffer[]): { pieces: PlainPiece[]; transfer: ArrayBuffer[] } {
  const transfer: ArrayBuffer[] = [];
  const pieces = plain.map((piece): PlainPiece => {
    if (piece.buffer instanceof SharedArrayBuffer)
      return { memory: piece.buffer, offset: piece.byteOffset, length: piece.length };
    const copy = piece.buffer.slice(piece.byteOffset, piece.byteOffset + piece.length) as ArrayBuffer;
    transfer.push(copy);
    return { memory: copy, offset: 0, length: piece.length };
  });
  return { pieces, transfer };
}

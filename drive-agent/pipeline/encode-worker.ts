// A compress/encrypt worker thread (docs/adr/0026): it reads a plain chunk from the memory the
// main thread shares with it, compresses and encrypts it, and writes the record into a shared
// output slot. zlib writes into the slot itself (docs/adr/0031); the cipher's windows, its only
// garbage, are collected here, off the main thread.
// Loaded by Node without tsx (type stripping): erasable TypeScript only (no parameter properties,
// enums or namespaces) and `.ts` imports.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { parentPort, workerData } from "node:worker_threads";
import { constants, createGzip, createZstdCompress } from "node:zlib";
import { CHUNK_HEADER_BYTES, CHUNK_TAG_BYTES, encryptChunk, encryptChunkInPlace } from "./chunk-format.ts";

export type Compression = "none" | "gzip" | "zstd";

/** What the worker is started with: one set's settings. */
export type EncodeWorkerSetup = { compression: Compression; key: Uint8Array | null; setUuid: Uint8Array };

/** A run of plain bytes in memory the main thread lends (a pooled, shared buffer: no copy). */
export type PlainPiece = { memory: SharedArrayBuffer | ArrayBuffer; offset: number; length: number };

export type EncodeJob = {
  id: number;
  index: number;
  plainOffset: number;
  last: boolean;
  plain: PlainPiece[];
  /** The output slot the record goes into. */
  out: SharedArrayBuffer;
};

/**
 * The encoded record's length in `out`, or, when it did not fit there, the record in memory of
 * its own (transferred); `busyMs`: how long the thread worked on it. `error` is a chunk that
 * could not be encoded.
 */
export type EncodeReply = EncodedReply | { id: number; error: string };
type EncodedReply = { id: number; length: number; spill: ArrayBuffer | null; busyMs: number };

/**
 * The cipher's windows in the worker (its only garbage per chunk): smaller ones are collected
 * sooner (peak RSS of 120 chunks through the worker, load 25: 190–193 MB with 256 KiB, 210–226 MB
 * with 1 MiB, 225–303 MB with 64 KiB).
 */
const CIPHER_WINDOW_BYTES = 256 << 10;
/** Garbage a worker lets build up before it collects its young generation. */
const COLLECT_EVERY_BYTES = 1 << 20;
/** Memory of its own a record gets past its slot, a piece at a time (zstd's bound says never). */
const SPILL_PIECE_BYTES = 1 << 20;

/** The native side of a node:zlib stream: what its synchronous path (`zlib.*Sync`) calls. */
type ZlibHandle = {
  writeSync(
    flush: number,
    input: Buffer,
    inOffset: number,
    inLength: number,
    out: Buffer,
    outOffset: number,
    outLength: number,
  ): void;
  onerror: (message: string, errno: number) => void;
};

/**
 * The zlib stream of one chunk, as the encoder before workers made it (level 1, zstd with its
 * checksum; a fresh stream per chunk: a zstd stream's `reset` drops its parameters). Its own
 * output buffer is never used, so it is zlib's smallest: nothing of it outlives a collection.
 */
function engineFor(kind: Exclude<Compression, "none">) {
  const chunkSize = constants.Z_MIN_CHUNK;
  return kind === "zstd"
    ? {
        engine: createZstdCompress({
          chunkSize,
          params: { [constants.ZSTD_c_compressionLevel]: 1, [constants.ZSTD_c_checksumFlag]: 1 },
        }),
        flushes: [constants.ZSTD_e_continue, constants.ZSTD_e_end],
      }
    : { engine: createGzip({ level: 1, chunkSize }), flushes: [constants.Z_NO_FLUSH, constants.Z_FINISH] };
}

/**
 * Compresses one chunk straight into `payload` on this thread (docs/adr/0031): the calls and
 * flushes a zlib stream makes when it is fed the whole chunk and ended (the whole chunk with the
 * stream's default flush, then its finishing flush until zlib has room left), so the frames are
 * the same bytes, but zlib writes into the output slot itself: no output piece, no copy, no
 * round trip through libuv's thread pool. The stream's native handle is what `zlib.*Sync` drives;
 * a Node without it fails the chunk, and so the set, with a message that says so.
 */
export function compressInto(kind: Exclude<Compression, "none">, plain: Buffer, payload: Payload): void {
  const { engine, flushes } = engineFor(kind);
  const native = engine as unknown as { _handle?: ZlibHandle; _writeState?: Uint32Array };
  const handle = native._handle;
  const state = native._writeState;
  if (!handle?.writeSync || !state) throw new Error("this Node's zlib streams have no synchronous handle");
  let failure: string | null = null;
  handle.onerror = (message) => {
    failure ??= message;
  };
  try {
    let inOffset = 0;
    for (const flush of flushes)
      for (;;) {
        const room = payload.room();
        handle.writeSync(
          flush,
          plain,
          inOffset,
          plain.length - inOffset,
          room.buffer,
          room.offset,
          room.length,
        );
        if (failure) throw new Error(`${kind} failed: ${failure}`);
        const [outLeft = 0, inLeft = 0] = state;
        payload.wrote(room.length - outLeft);
        inOffset = plain.length - inLeft;
        if (outLeft !== 0) break; // zlib stopped with room to spare: it has written all it had
      }
  } finally {
    engine.close();
  }
}

/**
 * Collects this thread's young generation: the cipher's windows are external memory that V8
 * would let grow by 64 MiB per thread before it collects them. A scavenge of a heap this small
 * takes well under a millisecond.
 */
function collector(): (garbage: number) => void {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as (options: { type: "minor" }) => void;
  let since = 0;
  return (garbage) => {
    since += garbage;
    if (since < COLLECT_EVERY_BYTES) return;
    since = 0;
    gc({ type: "minor" });
  };
}

const collect: (garbage: number) => void = workerData?.encodeWorker ? collector() : () => undefined;

/**
 * The payload (the compressed chunk) laid out at `at` in the output slot, or, past its end, in
 * pieces of its own: a record is never cut.
 */
export class Payload {
  length = 0;
  spill: Buffer[] | null = null;
  private spillUsed = 0;
  private readonly slot: Buffer;
  private readonly at: number;
  private readonly size: number;
  constructor(slot: Buffer, at: number, size: number) {
    this.slot = slot;
    this.at = at;
    this.size = size;
  }

  /** Where the next bytes go: the rest of the slot, then a piece of its own. */
  room(): { buffer: Buffer; offset: number; length: number } {
    if (!this.spill && this.length < this.size)
      return { buffer: this.slot, offset: this.at + this.length, length: this.size - this.length };
    if (!this.spill) this.spill = [Buffer.from(this.slot.subarray(this.at, this.at + this.length))];
    const tail = this.spill.at(-1) as Buffer;
    if (this.spill.length === 1 || this.spillUsed === tail.length) {
      this.spill.push(Buffer.allocUnsafeSlow(SPILL_PIECE_BYTES));
      this.spillUsed = 0;
    }
    const piece = this.spill.at(-1) as Buffer;
    return { buffer: piece, offset: this.spillUsed, length: piece.length - this.spillUsed };
  }

  wrote(bytes: number): void {
    this.length += bytes;
    if (this.spill) this.spillUsed += bytes;
  }

  /** Copies `plain` in (a set encrypted but not compressed). */
  add(plain: Buffer): void {
    for (let at = 0; at < plain.length; ) {
      const room = this.room();
      const n = plain.copy(room.buffer, room.offset, at, at + Math.min(room.length, plain.length - at));
      this.wrote(n);
      at += n;
    }
  }

  /** The spilled record's pieces, each cut to what was written. */
  spilled(): Buffer[] {
    const pieces = this.spill ?? [];
    return pieces.map((p, i) => (i === pieces.length - 1 && i > 0 ? p.subarray(0, this.spillUsed) : p));
  }
}

/** A record that did not fit its slot, in memory of its own. */
function spilled(setup: EncodeWorkerSetup, job: EncodeJob, pieces: Buffer[]): ArrayBuffer {
  const record = setup.key ? encryptChunk(setup.key, Buffer.from(setup.setUuid), job, pieces) : pieces;
  const out = Buffer.allocUnsafeSlow(record.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const piece of record) at += piece.copy(out, at);
  return out.buffer as ArrayBuffer;
}

function handle(setup: EncodeWorkerSetup, job: EncodeJob): EncodedReply {
  const started = performance.now();
  const slot = Buffer.from(job.out);
  const at = setup.key ? CHUNK_HEADER_BYTES : 0;
  const payload = new Payload(slot, at, slot.length - at - (setup.key ? CHUNK_TAG_BYTES : 0));
  const plain = plainOf(job.plain);
  if (setup.compression === "none") payload.add(plain);
  else compressInto(setup.compression, plain, payload);
  if (payload.spill) {
    const spill = spilled(setup, job, payload.spilled());
    return { id: job.id, length: spill.byteLength, spill, busyMs: performance.now() - started };
  }
  const length = setup.key
    ? encryptChunkInPlace(setup.key, Buffer.from(setup.setUuid), job, slot, payload.length, {
        window: CIPHER_WINDOW_BYTES,
        afterWindow: () => collect(CIPHER_WINDOW_BYTES),
      })
    : payload.length;
  return { id: job.id, length, spill: null, busyMs: performance.now() - started };
}

function plainOf(pieces: readonly PlainPiece[]): Buffer {
  const views = pieces.map((p) => Buffer.from(p.memory, p.offset, p.length));
  return views.length === 1 && views[0] ? views[0] : Buffer.concat(views);
}

if (parentPort && workerData?.encodeWorker) {
  const port = parentPort;
  const setup = workerData.encodeWorker as EncodeWorkerSetup;
  port.on("message", (job: EncodeJob) => {
    try {
      const reply = handle(setup, job);
      port.postMessage(reply, reply.spill ? [reply.spill] : []);
    } catch (error) {
      port.postMessage({ id: job.id, error: String((error as Error)?.message ?? error) });
    }
  });
}

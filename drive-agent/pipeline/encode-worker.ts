// A compress/encrypt worker thread (docs/adr/0026): it reads a plain chunk from the memory the
// main thread shares with it, compresses and encrypts it, and writes the record into a shared
// output slot. Its garbage (zlib's and the cipher's pieces) is collected here, off the main thread.
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
 * its own (transferred). `error` is a chunk that could not be encoded.
 */
export type EncodeReply =
  | { id: number; length: number; spill: ArrayBuffer | null }
  | { id: number; error: string };

/**
 * zlib's output pieces and the cipher's windows in the worker: their number costs the main thread
 * nothing, and smaller ones are collected sooner (peak RSS of 120 chunks through the worker, load
 * 25: 190–193 MB with 256 KiB, 210–226 MB with 1 MiB, 225–303 MB with 64 KiB).
 */
const WORKER_PIECE_BYTES = 256 << 10;
/** Chunks between full collections of the worker's heap (each costs the encoder's throughput). */
const MAJOR_EVERY_CHUNKS = 4;
/** Garbage a worker lets build up before it collects its young generation. */
const COLLECT_EVERY_BYTES = 1 << 20;

/**
 * One chunk compressed by a zlib stream fed the whole chunk as its last write (the engine and
 * flush of the encoder before workers: the same frames); each output piece goes to `onPiece`.
 */
export function compressChunk(
  kind: Exclude<Compression, "none">,
  plain: Buffer,
  onPiece: (piece: Buffer) => void,
  pieceBytes = WORKER_PIECE_BYTES,
): Promise<void> {
  // The output's size per piece does not change zlib's bytes, only how they are handed out.
  const engine =
    kind === "zstd"
      ? createZstdCompress({
          chunkSize: pieceBytes,
          params: { [constants.ZSTD_c_compressionLevel]: 1, [constants.ZSTD_c_checksumFlag]: 1 },
        })
      : createGzip({ level: 1, chunkSize: pieceBytes });
  return new Promise((resolve, reject) => {
    engine.on("data", onPiece);
    engine.once("error", reject);
    engine.once("end", resolve);
    engine.end(plain);
  });
}

/**
 * Collects this thread's young generation: zlib's and the cipher's pieces are external memory
 * that V8 would let grow by 64 MiB per thread before it collects them. A scavenge of a heap this
 * small takes well under a millisecond.
 */
function collector(): (garbage: number) => void {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as (options: { type: "minor" | "major" }) => void;
  let since = 0;
  return (garbage) => {
    since += garbage;
    if (since < COLLECT_EVERY_BYTES) return;
    since = 0;
    gc({ type: garbage === Number.POSITIVE_INFINITY ? "major" : "minor" });
  };
}

const collect: (garbage: number) => void = workerData?.encodeWorker ? collector() : () => undefined;

/**
 * The payload (the compressed chunk) laid out at `at` in the output slot, or, past its end, in
 * pieces of its own: a record is never cut.
 */
class Payload {
  length = 0;
  spill: Buffer[] | null = null;
  private readonly slot: Buffer;
  private readonly at: number;
  private readonly room: number;
  constructor(slot: Buffer, at: number, room: number) {
    this.slot = slot;
    this.at = at;
    this.room = room;
  }

  add(piece: Buffer): void {
    if (!this.spill && this.length + piece.length <= this.room) piece.copy(this.slot, this.at + this.length);
    else {
      this.spill ??= [Buffer.from(this.slot.subarray(this.at, this.at + this.length))];
      this.spill.push(Buffer.from(piece));
    }
    this.length += piece.length;
    collect(piece.length);
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

async function handle(
  setup: EncodeWorkerSetup,
  job: EncodeJob,
): Promise<{ id: number; length: number; spill: ArrayBuffer | null }> {
  const slot = Buffer.from(job.out);
  const at = setup.key ? CHUNK_HEADER_BYTES : 0;
  const payload = new Payload(slot, at, slot.length - at - (setup.key ? CHUNK_TAG_BYTES : 0));
  const plain = plainOf(job.plain);
  if (setup.compression === "none") payload.add(plain);
  else await compressChunk(setup.compression, plain, (piece) => payload.add(piece));
  if (payload.spill) {
    const spill = spilled(setup, job, payload.spill);
    return { id: job.id, length: spill.byteLength, spill };
  }
  const length = setup.key
    ? encryptChunkInPlace(setup.key, Buffer.from(setup.setUuid), job, slot, payload.length, {
        window: WORKER_PIECE_BYTES,
        afterWindow: () => collect(WORKER_PIECE_BYTES),
      })
    : payload.length;
  return { id: job.id, length, spill: null };
}

function plainOf(pieces: readonly PlainPiece[]): Buffer {
  const views = pieces.map((p) => Buffer.from(p.memory, p.offset, p.length));
  return views.length === 1 && views[0] ? views[0] : Buffer.concat(views);
}

if (parentPort && workerData?.encodeWorker) {
  const port = parentPort;
  const setup = workerData.encodeWorker as EncodeWorkerSetup;
  let encoded = 0;
  port.on("message", (job: EncodeJob) => {
    handle(setup, job)
      .then(
        (reply) => port.postMessage(reply, reply.spill ? [reply.spill] : []),
        (error: unknown) =>
          port.postMessage({ id: job.id, error: String((error as Error)?.message ?? error) }),
      )
      // zlib's output buffer and a chunk's streams outlive the young collections and are
      // promoted with their external memory: a full collection every few chunks returns it.
      .finally(() =>
        collect(++encoded % MAJOR_EVERY_CHUNKS === 0 ? Number.POSITIVE_INFINITY : COLLECT_EVERY_BYTES),
      );
  });
}

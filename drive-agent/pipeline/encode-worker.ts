// A compress/encrypt worker thread (docs/adr/0026): it reads a plain chunk from the memory the
// main thread shares with it, compresses and encrypts it, and writes the record into a shared
// output slot. Its garbage (zlib's and the cipher's pieces) is collected here, off the main thread.
// Loaded by Node without tsx (type stripping): erasable TypeScript and `.ts` imports only.
import { parentPort, workerData } from "node:worker_threads";
import { constants, createGzip, createZstdCompress } from "node:zlib";
import { encryptChunk } from "./chunk-format.ts";

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

const OUTPUT_PIECE_BYTES = 1 << 20;

/**
 * One chunk compressed by a zlib stream fed the whole chunk as its last write: the engine and
 * flush of the one-shot `zstdCompress`/`gzip` (the same frames), kept in zlib's output pieces.
 */
export function compressChunk(kind: Exclude<Compression, "none">, plain: Buffer): Promise<Buffer[]> {
  // 1 MiB output pieces instead of zlib's 16 KiB: 64 times fewer calls into JS and Buffers.
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

/** The record (compressed, then encrypted when the set has a key) of one chunk, in pieces. */
export async function encodeChunk(
  setup: EncodeWorkerSetup,
  chunk: { index: number; plainOffset: number; last: boolean },
  plain: Buffer,
): Promise<Buffer[]> {
  const compressed = setup.compression === "none" ? [plain] : await compressChunk(setup.compression, plain);
  if (!setup.key) return compressed;
  return encryptChunk(setup.key, Buffer.from(setup.setUuid), chunk, compressed);
}

function plainOf(pieces: readonly PlainPiece[]): Buffer {
  const views = pieces.map((p) => Buffer.from(p.memory, p.offset, p.length));
  return views.length === 1 && views[0] ? views[0] : Buffer.concat(views);
}

async function handle(
  setup: EncodeWorkerSetup,
  job: EncodeJob,
): Promise<{ id: number; length: number; spill: ArrayBuffer | null }> {
  const record = await encodeChunk(setup, job, plainOf(job.plain));
  const length = record.reduce((n, b) => n + b.length, 0);
  const fits = length <= job.out.byteLength;
  const target = fits ? Buffer.from(job.out) : Buffer.allocUnsafeSlow(length);
  let at = 0;
  for (const piece of record) at += piece.copy(target, at);
  return { id: job.id, length, spill: fits ? null : (target.buffer as ArrayBuffer) };
}

if (parentPort && workerData?.encodeWorker) {
  const port = parentPort;
  const setup = workerData.encodeWorker as EncodeWorkerSetup;
  port.on("message", (job: EncodeJob) => {
    handle(setup, job).then(
      (reply) => port.postMessage(reply, reply.spill ? [reply.spill] : []),
      (error: unknown) => port.postMessage({ id: job.id, error: String((error as Error)?.message ?? error) }),
    );
  });
}

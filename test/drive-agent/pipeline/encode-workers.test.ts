import { randomBytes, randomUUID } from "node:crypto";
import { once } from "node:events";
import { constants, createGzip, createZstdCompress, gunzipSync, zstdDecompressSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { BufferPool } from "../../../drive-agent/pipeline/buffer-pool.ts";
import {
  CHUNK_HEADER_BYTES,
  CHUNK_TAG_BYTES,
  decryptChunk,
  uuidBytes,
} from "../../../drive-agent/pipeline/chunk-format.ts";
import { compressInto, Payload } from "../../../drive-agent/pipeline/encode-worker.ts";
import type { EncodeWorkers } from "../../../drive-agent/pipeline/encode-workers.ts";
import {
  type ChunkPlacement,
  type Compression,
  SetEncoder,
} from "../../../drive-agent/pipeline/set-encoder.ts";

const CHUNK = 256 << 10;

/** Half text-like, half random: zstd has both kinds of block to write. */
function plainStream(bytes: number): Buffer {
  const text = Buffer.from("log line host=tape01 level=info msg=backup running n=0000\n".repeat(bytes / 64));
  return Buffer.concat([text.subarray(0, bytes / 2), randomBytes(bytes - bytes / 2)]);
}

/**
 * The encoder before worker threads: the same zlib stream run on the main thread (docs/adr/0020),
 * one frame per chunk; each frame must also decompress to its chunk on its own.
 */
async function reference(kind: Compression, chunk: Buffer): Promise<Buffer> {
  if (kind === "none") return chunk;
  // zstd level 1 with its checksum, or gzip level 1, fed the whole chunk and ended; 1 MiB pieces.
  const engine =
    kind === "zstd"
      ? createZstdCompress({
          chunkSize: 1 << 20,
          params: { [constants.ZSTD_c_compressionLevel]: 1, [constants.ZSTD_c_checksumFlag]: 1 },
        })
      : createGzip({ level: 1, chunkSize: 1 << 20 });
  const pieces: Buffer[] = [];
  engine.on("data", (piece: Buffer) => pieces.push(piece));
  const ended = once(engine, "end");
  engine.end(chunk);
  await ended;
  const frame = Buffer.concat(pieces);
  expect((kind === "zstd" ? zstdDecompressSync(frame) : gunzipSync(frame)).equals(chunk)).toBe(true);
  return frame;
}

/**
 * Streams `plain` through an encoder the way the backup does: read into a pool of shared buffers
 * (one chunk each), the last one cut short; the sink keeps what it is handed and gives it back.
 */
async function encode(plain: Buffer, compression: Compression, key: Uint8Array | null, setUuid: string) {
  const pool = new BufferPool(CHUNK, 4, { shared: true });
  const out: Buffer[] = [];
  const placements: ChunkPlacement[] = [];
  const pieces: Buffer[] = [];
  const encoder: SetEncoder = new SetEncoder({
    compression,
    key,
    setUuid,
    chunkBytes: CHUNK,
    lease: pool,
    sink: (data) => {
      for (const piece of data) {
        pieces.push(piece);
        out.push(Buffer.from(piece));
        encoder.release(piece);
      }
    },
    onChunk: (p) => placements.push(p),
  });
  for (let at = 0; at < plain.length; at += CHUNK) {
    await pool.whenFree();
    const buffer = pool.take() as Buffer;
    const n = plain.copy(buffer, 0, at, Math.min(plain.length, at + CHUNK));
    if (!encoder.push(n === CHUNK ? buffer : buffer.subarray(0, n))) await encoder.drained();
  }
  await encoder.finish();
  return { stream: Buffer.concat(out), placements, pieces, pool };
}

const chunksOf = (plain: Buffer) =>
  Array.from({ length: Math.ceil(plain.length / CHUNK) }, (_, i) =>
    plain.subarray(i * CHUNK, (i + 1) * CHUNK),
  );

describe("chunks compressed and encrypted in worker threads", () => {
  it("write the same zstd frames and gzip members as the in-thread encoder, byte for byte, from shared pool buffers", async () => {
    const plain = plainStream(3 * CHUNK + 12_345);
    for (const kind of ["zstd", "gzip"] as const) {
      const { stream, placements, pieces, pool } = await encode(plain, kind, null, randomUUID());
      const expected = await Promise.all(chunksOf(plain).map((chunk) => reference(kind, chunk)));
      expect(stream.equals(Buffer.concat(expected))).toBe(true);
      let at = 0;
      expect(placements).toEqual(
        expected.map((frame, index) => {
          const placement = {
            index,
            plainStart: index * CHUNK,
            plainEnd: Math.min(plain.length, (index + 1) * CHUNK),
            streamStart: at,
            streamEnd: at + frame.length,
          };
          at += frame.length;
          return placement;
        }),
      );
      // Records come back in the encoder's shared output slots, not in fresh memory per chunk.
      expect(pieces.every((p) => p.buffer instanceof SharedArrayBuffer)).toBe(true);
      expect(pool.available).toBe(pool.count);
    }
  });

  it("seal each chunk as the documented record: header, AES-256-GCM of the same frame, tag, the last one flagged", async () => {
    const plain = plainStream(2 * CHUNK + 777);
    const key = randomBytes(32);
    const setUuid = randomUUID();
    for (const kind of ["zstd", "none"] as const) {
      const { stream, placements } = await encode(plain, kind, key, setUuid);
      const chunks = chunksOf(plain);
      const payloads = await Promise.all(chunks.map((chunk) => reference(kind, chunk)));
      let at = 0;
      payloads.forEach((payload, index) => {
        const end = at + CHUNK_HEADER_BYTES + payload.length + CHUNK_TAG_BYTES;
        const record = decryptChunk(key, uuidBytes(setUuid), stream.subarray(at, end));
        expect(record.header).toMatchObject({
          index,
          plainOffset: index * CHUNK,
          length: payload.length,
          last: index === chunks.length - 1,
        });
        expect(record.payload.equals(payload)).toBe(true);
        expect(placements[index]).toMatchObject({ index, streamStart: at, streamEnd: end });
        at = end;
      });
      expect(at).toBe(stream.length);
    }
  });

  it("run one thread for zstd, which keeps up on one core, and one per chunk in flight for gzip", async () => {
    const threads: Record<string, number> = {};
    for (const compression of ["zstd", "gzip"] as const) {
      const encoder = new SetEncoder({
        compression,
        key: null,
        setUuid: randomUUID(),
        chunkBytes: CHUNK,
        sink: () => undefined,
        onChunk: () => undefined,
        onWorkers: (w) => {
          threads[compression] = w.threads.length;
        },
      });
      await encoder.close();
    }
    expect(threads).toEqual({ zstd: 1, gzip: 2 });
  });

  it("carry a frame that outgrows its output slot on in memory of its own, whole and the same bytes", async () => {
    const plain = plainStream(CHUNK);
    for (const kind of ["zstd", "gzip"] as const) {
      const expected = await reference(kind, plain);
      // A slot that holds a third of the frame: the rest goes on in spill pieces, none is cut.
      const payload = new Payload(
        Buffer.alloc(expected.length / 3 + 10),
        10,
        Math.floor(expected.length / 3),
      );
      compressInto(kind, plain, payload);
      expect(payload.length).toBe(expected.length);
      expect(Buffer.concat(payload.spilled()).equals(expected)).toBe(true);
    }
  });

  it("fail the set with a message naming the worker when a worker thread dies, and leave no thread running", async () => {
    let workers: EncodeWorkers | null = null;
    const encoder = new SetEncoder({
      compression: "zstd",
      key: randomBytes(32),
      setUuid: randomUUID(),
      chunkBytes: CHUNK,
      sink: (data) => {
        for (const piece of data) encoder.release(piece);
      },
      onChunk: () => undefined,
      onWorkers: (w) => {
        workers = w;
      },
    });
    const threads = (workers as EncodeWorkers | null)?.threads ?? [];
    expect(threads.length).toBeGreaterThan(0);
    const exits = threads.map((t) => once(t, "exit"));
    await threads[0]?.terminate();
    let failure: unknown = null;
    try {
      for (let i = 0; i < 4; i++) if (!encoder.push(plainStream(CHUNK))) await encoder.drained();
      await encoder.finish();
    } catch (error) {
      failure = error;
    }
    expect(String(failure)).toMatch(
      /the zstd \+ AES-256-GCM encoder worker thread stopped \(exit code \d+\) while the set was being written/,
    );
    await Promise.all(exits);
    expect(threads.every((t) => t.threadId === -1)).toBe(true);
  });
});

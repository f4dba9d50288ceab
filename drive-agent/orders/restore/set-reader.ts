import { Readable } from "node:stream";
import { promisify } from "node:util";
import { createGunzip, createZstdDecompress, gunzip, zstdDecompress } from "node:zlib";
import type { Toc } from "../../../contracts/toc.ts";
import type { Drive } from "../../drives/drive.ts";
import {
  CHUNK_HEADER_BYTES,
  CHUNK_TAG_BYTES,
  decodeChunkHeader,
  decryptChunk,
  uuidBytes,
} from "../../pipeline/chunk-format.ts";
import type { Compression } from "../../pipeline/set-encoder.ts";
import { seekToBlock } from "../../tape/seek.ts";
import type { ChunkIndexEntry } from "../../tape/set-toc.ts";

/** What a reader must know of a set: from the TOC (hub-less) or the work order. */
export type SetShape = { uuid: string; compression: Compression; key: Uint8Array | null; blockSize: number };

/** One tape's part of the set, as its TOC (or the order) describes it. */
export type SegmentLayout = {
  /** 0-based position of this tape in the set. */
  seq: number;
  dataFile: number;
  /** Where this data file starts in the set's stream. */
  streamOffset: number;
  chunks: ChunkIndexEntry[];
  continues: boolean;
  /** The members whose headers are on this tape, from its TOC, when it was read whole. */
  members?: MemberOnTape[];
};

/** A member as a TOC or the catalog knows it, with the segment (tape) holding its header. */
export type MemberOnTape = {
  path: string;
  offset: number;
  sha256: string | null;
  size: number;
  segment: number;
};

/** The members a TOC lists, as the reader looks for them; `seq` is the TOC's segment. */
export function membersOfToc(toc: Toc, seq: number): MemberOnTape[] {
  return toc.files.map((f) => ({
    path: f.path,
    offset: f.position.byteOffset,
    sha256: f.sha256,
    size: f.size,
    segment: seq,
  }));
}

/** Gets the tape of each segment into the drive (a changer, or an operator) and says where the set is on it. */
export interface SegmentSource {
  readonly drive: Drive;
  segment(seq: number): Promise<SegmentLayout>;
}

/** A chunk failed its GCM tag or its decompression: the files it holds are damaged. */
export class DamagedStream extends Error {
  constructor(
    message: string,
    readonly plainOffset: number,
  ) {
    super(message);
    this.name = "DamagedStream";
  }
}

/** Reads stay small so a restore that stops after one file reads few blocks beyond it. */
const READ_BYTES = 1 << 20;

export type StartPoint = { seq: number; block: number; skip: number; plainStart: number };

/** Where to start reading for the member whose tar header is at `offset` (segment `seq` holds its chunk). */
export function startPoint(shape: SetShape, layout: SegmentLayout, offset: number): StartPoint | null {
  const { blockSize } = shape;
  if (shape.compression === "none" && shape.key === null) {
    const dataOffset = offset - layout.streamOffset;
    if (dataOffset < 0) return null;
    const block = Math.floor(dataOffset / blockSize);
    return { seq: layout.seq, block, skip: dataOffset - block * blockSize, plainStart: offset };
  }
  let chunk: ChunkIndexEntry | null = null;
  for (const c of layout.chunks) {
    if (c[1] > offset) break;
    chunk = c;
  }
  if (!chunk) return null;
  const block = Math.floor(chunk[2] / blockSize);
  return { seq: layout.seq, block, skip: chunk[2] - block * blockSize, plainStart: chunk[1] };
}

/** The set's bytes as written, from a start point, continuing on the set's next tapes. */
export async function* readRaw(
  source: SegmentSource,
  shape: SetShape,
  start: StartPoint,
): AsyncGenerator<Buffer> {
  let layout = await source.segment(start.seq);
  await seekToBlock(source.drive, layout.dataFile, start.block, shape.blockSize);
  let skip = start.skip;
  for (;;) {
    const outcome = await source.drive.read(READ_BYTES);
    if (outcome.type === "data") {
      const data = skip > 0 ? outcome.data.subarray(skip) : outcome.data;
      skip = Math.max(0, skip - outcome.data.length);
      if (data.length > 0) yield data;
      continue;
    }
    if (!layout.continues) return;
    layout = await source.segment(layout.seq + 1);
    await seekToBlock(source.drive, layout.dataFile, 0, shape.blockSize);
  }
}

const unzstd = promisify(zstdDecompress);
const unzip = promisify(gunzip);

/** Plain tar bytes from `plainStart` on: decrypts records and decompresses chunk by chunk. */
export async function* decodePlain(
  raw: AsyncIterable<Buffer>,
  shape: SetShape,
  plainStart: number,
): AsyncGenerator<Buffer> {
  if (shape.key !== null) {
    yield* decryptRecords(raw, shape, plainStart);
    return;
  }
  if (shape.compression === "none") {
    yield* raw;
    return;
  }
  if (shape.compression === "zstd") {
    yield* decodeZstdFrames(raw, plainStart);
    return;
  }
  yield* streamDecompress(raw, "gzip", plainStart);
}

/** One decompressor over the whole stream: gzip sets, and zstd frames too large to hold at once. */
async function* streamDecompress(
  raw: AsyncIterable<Buffer>,
  kind: "gzip" | "zstd",
  plainStart: number,
): AsyncGenerator<Buffer> {
  const decompressor = kind === "zstd" ? createZstdDecompress() : createGunzip();
  const input = Readable.from(raw, { objectMode: false });
  input.on("error", (error) => decompressor.destroy(error));
  input.pipe(decompressor);
  let produced = plainStart;
  try {
    for await (const plain of decompressor as AsyncIterable<Buffer>) {
      produced += plain.length;
      yield plain;
    }
  } catch (error) {
    if ((error as Error).name === "DriveError") throw error;
    throw new DamagedStream(
      `${kind} stream damaged near tar offset ${produced}: ${(error as Error).message}`,
      produced,
    );
  } finally {
    input.destroy();
    decompressor.destroy();
  }
}

/** TapeBackarr writes 8 MiB plain chunks; a frame this large was written by something else. */
const MAX_FRAME_BYTES = 64 << 20;

/**
 * Plain bytes of an unencrypted zstd set, one frame (= one chunk) at a time: a frame that does
 * not decode fails as a DamagedStream at that chunk's start, so the reader can step over it.
 */
async function* decodeZstdFrames(raw: AsyncIterable<Buffer>, plainStart: number): AsyncGenerator<Buffer> {
  const pending = new Pieces();
  let expected = plainStart;
  const damaged = (why: string) =>
    new DamagedStream(`zstd chunk at tar offset ${expected} is damaged: ${why}`, expected);
  // The next frame decodes (in libuv's pool) while the one before is handed on.
  const inflight: Promise<Buffer>[] = [];
  async function* settle(keep: number): AsyncGenerator<Buffer> {
    while (inflight.length > keep) {
      let plain: Buffer;
      try {
        plain = await (inflight.shift() as Promise<Buffer>);
      } catch (error) {
        throw damaged((error as Error).message);
      }
      expected += plain.length;
      yield plain;
    }
  }
  const input = raw[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await input.next();
      if (next.done) break;
      pending.push(next.value);
      for (;;) {
        const length = zstdFrameLength(pending);
        if (length === null && pending.total > MAX_FRAME_BYTES) {
          // Not a chunked set (one huge frame): decode it as one stream, without the frame-by-frame step-over.
          yield* settle(0);
          yield* streamDecompress(prepend(pending.take(pending.total), input), "zstd", expected);
          return;
        }
        if (length === null) break;
        if (length === "invalid") {
          yield* settle(0);
          if (pending.allZero()) return;
          throw damaged("no zstd frame where one should start");
        }
        const frame = pending.take(length);
        if (frame.readUInt32LE(0) !== ZSTD_MAGIC) continue; // a skippable frame (the last block's padding)
        // 1 MiB output pieces: zlib's 16 KiB default costs a call into JS and a Buffer per piece.
        const decoded = unzstd(frame, { chunkSize: 1 << 20 });
        decoded.catch(() => undefined);
        inflight.push(decoded);
        yield* settle(1);
      }
    }
    yield* settle(0);
    if (pending.total > 0 && !pending.allZero()) throw damaged("the stream ends inside a frame");
  } finally {
    for (const p of inflight) p.catch(() => undefined);
  }
}

const ZSTD_MAGIC = 0xfd2fb528;

async function* prepend(first: Buffer, rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield first;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    yield next.value;
  }
}

/** Bytes received and not yet decoded, kept as pieces so a frame is concatenated once. */
class Pieces {
  private list: Buffer[] = [];
  total = 0;

  push(data: Buffer): void {
    this.list.push(data);
    this.total += data.length;
  }

  byteAt(index: number): number {
    let at = index;
    for (const piece of this.list) {
      if (at < piece.length) return piece[at] as number;
      at -= piece.length;
    }
    throw new RangeError(`byte ${index} of ${this.total}`);
  }

  take(length: number): Buffer {
    const all = this.list.length === 1 ? (this.list[0] as Buffer) : Buffer.concat(this.list);
    this.list = all.length > length ? [all.subarray(length)] : [];
    this.total -= length;
    return all.subarray(0, length);
  }

  allZero(): boolean {
    return this.list.every((p) => p.every((b) => b === 0));
  }
}

/**
 * The length of the zstd frame at the start of `p` (RFC 8878 §3.1), null while more bytes are
 * needed, "invalid" when no frame starts there. Skippable frames count as frames.
 */
function zstdFrameLength(p: Pieces): number | null | "invalid" {
  if (p.total < 8) return null;
  const u32 = (i: number) =>
    (p.byteAt(i) | (p.byteAt(i + 1) << 8) | (p.byteAt(i + 2) << 16) | (p.byteAt(i + 3) << 24)) >>> 0;
  const magic = u32(0);
  if ((magic & 0xfffffff0) === 0x184d2a50) return 8 + u32(4) <= p.total ? 8 + u32(4) : null;
  if (magic !== ZSTD_MAGIC) return "invalid";
  const descriptor = p.byteAt(4);
  if (descriptor & 0x08) return "invalid";
  const single = (descriptor >> 5) & 1;
  const fcs = descriptor >> 6;
  const dictionaryBytes = [0, 1, 2, 4][descriptor & 3] ?? 0;
  const contentSizeBytes = fcs === 0 ? single : ([0, 2, 4, 8][fcs] ?? 0);
  let pos = 5 + (single ? 0 : 1) + dictionaryBytes + contentSizeBytes;
  for (;;) {
    if (p.total < pos + 3) return null;
    const header = p.byteAt(pos) | (p.byteAt(pos + 1) << 8) | (p.byteAt(pos + 2) << 16);
    const type = (header >> 1) & 3;
    if (type === 3) return "invalid";
    pos += 3 + (type === 1 ? 1 : header >>> 3);
    if (header & 1) {
      const end = pos + ((descriptor >> 2) & 1 ? 4 : 0);
      return end <= p.total ? end : null;
    }
  }
}

async function* decryptRecords(
  raw: AsyncIterable<Buffer>,
  shape: SetShape,
  plainStart: number,
): AsyncGenerator<Buffer> {
  const key = shape.key as Uint8Array;
  const set = uuidBytes(shape.uuid);
  let buf: Buffer = Buffer.alloc(0);
  let expected = plainStart;
  for await (const data of raw) {
    buf = buf.length === 0 ? data : Buffer.concat([buf, data]);
    for (;;) {
      if (buf.length < CHUNK_HEADER_BYTES) break;
      const header = decodeChunkHeader(buf);
      if (!header) {
        if (buf.subarray(0, CHUNK_HEADER_BYTES).every((b) => b === 0)) return; // padding after the last record
        throw new DamagedStream(`no encrypted chunk where tar offset ${expected} should start`, expected);
      }
      const end = CHUNK_HEADER_BYTES + header.length + CHUNK_TAG_BYTES;
      if (buf.length < end) break;
      let payload: Buffer;
      try {
        payload = decryptChunk(key, set, buf.subarray(0, end)).payload;
      } catch {
        throw new DamagedStream(
          `chunk ${header.index} (tar offset ${header.plainOffset}) fails its GCM tag: damaged on tape, or the wrong key`,
          header.plainOffset,
        );
      }
      if (header.plainOffset !== expected)
        throw new DamagedStream(
          `chunk ${header.index} starts at tar offset ${header.plainOffset}, expected ${expected}`,
          expected,
        );
      try {
        if (shape.compression === "zstd") payload = await unzstd(payload);
        else if (shape.compression === "gzip") payload = await unzip(payload);
      } catch (error) {
        throw new DamagedStream(
          `chunk ${header.index} does not decompress: ${(error as Error).message}`,
          header.plainOffset,
        );
      }
      expected += payload.length;
      yield payload;
      buf = buf.subarray(end);
      if (header.last) return;
    }
  }
}

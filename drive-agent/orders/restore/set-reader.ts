import { Readable } from "node:stream";
import { promisify } from "node:util";
import { createGunzip, createZstdDecompress, gunzip, zstdDecompress } from "node:zlib";
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
  const decompressor = shape.compression === "zstd" ? createZstdDecompress() : createGunzip();
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
      `${shape.compression} stream damaged near tar offset ${produced}: ${(error as Error).message}`,
      produced,
    );
  } finally {
    input.destroy();
    decompressor.destroy();
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

import { type Drive, MAX_TRANSFER_BYTES, transferBytes, type WriteOutcome } from "../drives/drive.ts";
import { DriveError } from "../errors.ts";
import type { Compression } from "./set-encoder.ts";
import type { StreamingMeter } from "./streaming-meter.ts";

export { MAX_TRANSFER_BYTES };

/** A zstd skippable frame: `zstd -dc` passes over the padding that fills the last block. */
const ZSTD_SKIPPABLE_MAGIC = 0x184d2a50;

export type DriveWriterOptions = {
  /** One write at the current tape position (end of medium is an outcome, not an error). */
  write: (data: Buffer) => Promise<WriteOutcome>;
  blockSize: number;
  compression: Compression;
  encrypted: boolean;
  /** Called after every write with the set's stream bytes now on tape (over all segments). */
  onCommit: (streamBytes: number) => Promise<void> | void;
  /** The drive refused a write: close this tape's segment and make the next tape ready. */
  onEndOfMedium: () => Promise<void>;
  /** Resolves when the operator has not paused the run (or at once). */
  whenRunning: () => Promise<void>;
  /** The largest write the current tape takes past early warning (see transferBytes); read per write. */
  maxTransferBytes?: () => number | undefined;
  /** The writer is done with a piece of the source (a pooled buffer goes back to its pool). */
  release?: (data: Buffer) => void;
  /** Counts the writer's waits on an empty buffer (streaming health); `sourceEmpty` says when it must wait. */
  meter?: StreamingMeter;
  sourceEmpty?: () => boolean;
};

export type DriveWriterResult = { streamBytes: number; paddingBytes: number };

/**
 * Feeds the drive from the buffered set stream in whole-block transfers. A refused write (end of
 * medium) is kept and written again first on the next tape, so the stream splits at a block
 * boundary and the data files of a spanning set concatenate back to the exact stream.
 */
export async function writeSetStream(
  source: AsyncIterable<Buffer>,
  options: DriveWriterOptions,
): Promise<DriveWriterResult> {
  const { blockSize } = options;
  const limit = () => transferBytes({ maxTransferBytes: options.maxTransferBytes?.() }, blockSize);
  const transfer = limit();
  // One staging buffer, reused for every transfer (a write has finished before it is refilled):
  // no 4 MiB allocation per write for the garbage collector to chase.
  const staging = Buffer.allocUnsafeSlow(transfer);
  let filled = 0;
  let committed = 0;

  async function put(data: Buffer, streamPart = data.length): Promise<void> {
    const most = limit();
    if (data.length > most) {
      // A later tape takes smaller writes than the first: split, stream bytes first.
      for (let offset = 0; offset < data.length; offset += most) {
        const end = Math.min(data.length, offset + most);
        await put(data.subarray(offset, end), Math.max(0, Math.min(end, streamPart) - offset));
      }
      return;
    }
    await options.whenRunning();
    const outcome = await options.write(data);
    if (outcome.type === "written") {
      options.meter?.wrote(data.length);
      committed += streamPart;
      await options.onCommit(committed);
      return;
    }
    await options.onEndOfMedium();
    await put(data, streamPart);
  }

  const release = options.release ?? (() => undefined);
  for await (const chunk of metered(source, options)) {
    if (filled === 0 && chunk.length === transfer) {
      // A whole transfer (tar read into a pooled buffer of this size): written from where it lies.
      await put(chunk);
      release(chunk);
      continue;
    }
    let pos = 0;
    while (pos < chunk.length) {
      const take = Math.min(transfer - filled, chunk.length - pos);
      chunk.copy(staging, filled, pos, pos + take);
      filled += take;
      pos += take;
      if (filled === transfer) {
        await put(staging);
        filled = 0;
      }
    }
    release(chunk);
  }
  const tail = staging.subarray(0, filled);
  const streamBytes = committed + tail.length;
  const padding = paddingFor(tail.length, blockSize, options.compression, options.encrypted);
  if (tail.length + padding.length > 0) {
    // The padding is not part of the stream: commits count stream bytes only.
    const last = Buffer.concat([tail, padding]);
    for (let offset = 0; offset < last.length; offset += transfer) {
      const end = Math.min(last.length, offset + transfer);
      await put(last.subarray(offset, end), Math.max(0, Math.min(end, tail.length) - offset));
    }
  }
  return { streamBytes, paddingBytes: padding.length };
}

/** The source, with each wait on an empty buffer told to the meter. */
async function* metered(
  source: AsyncIterable<Buffer>,
  options: Pick<DriveWriterOptions, "meter" | "sourceEmpty">,
): AsyncGenerator<Buffer> {
  const { meter, sourceEmpty } = options;
  if (!meter || !sourceEmpty) return yield* source;
  const iterator = source[Symbol.asyncIterator]();
  let done = false;
  try {
    for (;;) {
      const waited = sourceEmpty() ? meter.waitStarted() : null;
      const next = await iterator.next();
      waited?.();
      if (next.done) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (!done) await iterator.return?.();
  }
}

/**
 * Fills the last block: NULs for tar (read as end of archive), gzip (ignores trailing zeros) and
 * encrypted records (a reader stops at the last chunk); a zstd skippable frame for zstd.
 */
export function paddingFor(
  tailBytes: number,
  blockSize: number,
  compression: Compression,
  encrypted: boolean,
): Buffer {
  let length = (blockSize - (tailBytes % blockSize)) % blockSize;
  if (compression !== "zstd" || encrypted || length === 0) return Buffer.alloc(length);
  if (length < 8) length += blockSize;
  const frame = Buffer.alloc(length);
  frame.writeUInt32LE(ZSTD_SKIPPABLE_MAGIC, 0);
  frame.writeUInt32LE(length - 8, 4);
  return frame;
}

/**
 * Writes a trailer (a TOC) past early warning: st refuses every second write there, so one
 * refusal is retried; two in a row mean the tape is really out of room.
 */
export async function writeTrailer(drive: Drive, data: Buffer, blockSize: number): Promise<number> {
  const transfer = transferBytes(drive, blockSize);
  let blocks = 0;
  for (let offset = 0; offset < data.length; offset += transfer) {
    const piece = data.subarray(offset, Math.min(data.length, offset + transfer));
    let outcome = await drive.write(piece);
    if (outcome.type === "end-of-medium") outcome = await drive.write(piece);
    if (outcome.type === "end-of-medium")
      throw new DriveError("VOLUME_OVERFLOW", `${drive.name}: no room left on the tape for the set's TOC`);
    blocks += outcome.blocks;
  }
  return blocks;
}

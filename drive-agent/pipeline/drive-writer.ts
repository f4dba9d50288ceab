import { allocDirectBuffer } from "../drives/direct-memory.ts";
import {
  type Drive,
  MAX_TRANSFER_BYTES,
  type QueuedWrite,
  transferBytes,
  type WriteOutcome,
} from "../drives/drive.ts";
import { DriveError } from "../errors.ts";
import type { Compression } from "./set-encoder.ts";
import type { StreamingMeter } from "./streaming-meter.ts";

export { MAX_TRANSFER_BYTES };

/** A zstd skippable frame: `zstd -dc` passes over the padding that fills the last block. */
const ZSTD_SKIPPABLE_MAGIC = 0x184d2a50;

export type DriveWriterOptions = {
  /**
   * One write at the current tape position (end of medium is an outcome, not an error); a
   * QueuedWrite when the drive takes writes ahead (Drive.writeQueued).
   */
  write: (data: Buffer) => Promise<WriteOutcome | QueuedWrite>;
  /** Queued writes on their way to the medium at once (1 without writeQueued: each waits). */
  writesInFlight?: number;
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
  const depth = Math.max(1, options.writesInFlight ?? 1);
  // Staging buffers for a source whose pieces are not whole transfers, reused once their write
  // has landed (no allocation per write for the garbage collector to chase): at most `depth`.
  const staging: Buffer[] = [];
  let stagings = 0;
  let current: Buffer | null = null;
  let filled = 0;
  let committed = 0;
  /** Stream bytes of the writes placed so far (landed or not). */
  let placedBytes = 0;
  // Writes placed on the tape but maybe not landed yet, oldest first; each settles after its
  // commit, and commits run in tape order (a chain), so a commit never counts an unlanded byte.
  const inFlight: Promise<void>[] = [];
  let chain: Promise<void> = Promise.resolve();

  const settleAll = async () => {
    while (inFlight.length > 0) await inFlight.shift();
  };

  async function put(data: Buffer, streamPart = data.length, landed?: () => void): Promise<void> {
    const most = limit();
    if (data.length > most) {
      // A later tape takes smaller writes than the first: split, stream bytes first.
      let pieces = Math.ceil(data.length / most);
      const onePiece = landed && (() => --pieces === 0 && landed());
      for (let offset = 0; offset < data.length; offset += most) {
        const end = Math.min(data.length, offset + most);
        await put(data.subarray(offset, end), Math.max(0, Math.min(end, streamPart) - offset), onePiece);
      }
      return;
    }
    await options.whenRunning();
    const reply = await options.write(data);
    const placed = "outcome" in reply ? reply : { outcome: reply, landed: Promise.resolve() };
    if (placed.outcome.type === "written") {
      options.meter?.wrote(data.length);
      placedBytes += streamPart;
      chain = chain
        .then(() => placed.landed)
        .then(async () => {
          committed += streamPart;
          await options.onCommit(committed);
          landed?.();
        });
      const link = chain;
      link.catch(() => undefined);
      inFlight.push(link);
      while (inFlight.length >= depth) await inFlight.shift();
      return;
    }
    // The tape changes only once every write before the refused one has landed.
    await settleAll();
    await options.onEndOfMedium();
    await put(data, streamPart, landed);
  }

  const release = options.release ?? (() => undefined);
  const flushStaging = async (buffer: Buffer) => {
    current = null;
    filled = 0;
    await put(buffer, buffer.length, () => staging.push(buffer));
  };
  try {
    for await (const chunk of metered(source, options)) {
      if (filled === 0 && chunk.length === transfer) {
        // A whole transfer (tar read into a pooled buffer of this size): written from where it
        // lies, and given back once it has landed.
        await put(chunk, chunk.length, () => release(chunk));
        continue;
      }
      let pos = 0;
      while (pos < chunk.length) {
        if (!current) {
          current = staging.pop() ?? null;
          if (!current && stagings < depth) {
            current = allocDirectBuffer(transfer);
            stagings++;
          }
          // Fewer writes than staging buffers are in flight once put returns, so one is free.
          if (!current) throw new Error("no staging buffer free for the drive writer");
        }
        const take = Math.min(transfer - filled, chunk.length - pos);
        chunk.copy(current, filled, pos, pos + take);
        filled += take;
        pos += take;
        if (filled === transfer) await flushStaging(current);
      }
      release(chunk);
    }
    const tail = current ? current.subarray(0, filled) : Buffer.alloc(0);
    const streamBytes = placedBytes + tail.length;
    const padding = paddingFor(tail.length, blockSize, options.compression, options.encrypted);
    if (tail.length + padding.length > 0) {
      // The padding is not part of the stream: commits count stream bytes only.
      const last = Buffer.concat([tail, padding]);
      for (let offset = 0; offset < last.length; offset += transfer) {
        const end = Math.min(last.length, offset + transfer);
        await put(last.subarray(offset, end), Math.max(0, Math.min(end, tail.length) - offset));
      }
    }
    await settleAll();
    return { streamBytes, paddingBytes: padding.length };
  } finally {
    // A failing source or write: what is still on its way ends before the caller moves on.
    await Promise.allSettled(inFlight);
  }
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

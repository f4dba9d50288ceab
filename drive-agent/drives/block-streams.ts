import { Readable, Writable } from "node:stream";
import type { Drive, ReadHandle, ReadSummary, WriteHandle, WriteSummary } from "./drive.ts";

/** Thrown into a write stream's pipeline when the drive refuses more data; `done` carries the outcome. */
export class EndOfMediumReached extends Error {
  constructor() {
    super("end of medium: the drive refused more data after the early-warning mark");
    this.name = "EndOfMediumReached";
  }
}

/** Largest single write handed to the drive: big transfers keep both st and the vtl streaming. */
const MAX_WRITE = 4 << 20;
/** Reads are smaller so a restore that stops after one file reads few blocks beyond it. */
const MAX_READ = 1 << 20;

type BlockIo = Pick<Drive, "write" | "read" | "writeFileMarks">;

/**
 * A Writable for one tape file: chunks are cut into whole blocks, the tail is NUL-padded (tar ignores
 * trailing zeros; JSON readers strip them), and finishing writes the file mark.
 */
export function createBlockWriteStream(drive: BlockIo, blockSize: number, fileNumber: number): WriteHandle {
  const summary: WriteSummary = { fileNumber, bytes: 0, blocks: 0, earlyWarning: false, endOfMedium: false };
  const transfer = Math.max(blockSize, MAX_WRITE - (MAX_WRITE % blockSize));
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let settle: { resolve: (s: WriteSummary) => void; reject: (e: unknown) => void } | undefined;
  const done = new Promise<WriteSummary>((resolve, reject) => {
    settle = { resolve, reject };
  });

  // Returns false when the drive refused the write (end of medium).
  async function writeOut(data: Buffer): Promise<boolean> {
    for (let offset = 0; offset < data.length; offset += transfer) {
      const outcome = await drive.write(data.subarray(offset, Math.min(data.length, offset + transfer)));
      if (outcome.type === "end-of-medium") return false;
      summary.blocks += outcome.blocks;
      summary.earlyWarning ||= outcome.earlyWarning;
    }
    return true;
  }

  async function closeFile(): Promise<void> {
    await drive.writeFileMarks(1);
    settle?.resolve(summary);
  }

  const stream = new Writable({
    highWaterMark: transfer,
    write(chunk: Buffer, _encoding, callback) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      summary.bytes += chunk.length;
      if (pendingBytes < transfer) return callback();
      const all = Buffer.concat(pending, pendingBytes);
      const whole = all.length - (all.length % blockSize);
      pending = whole < all.length ? [all.subarray(whole)] : [];
      pendingBytes = all.length - whole;
      writeOut(all.subarray(0, whole)).then(
        async (accepted) => {
          if (accepted) return callback();
          summary.endOfMedium = true;
          summary.bytes = summary.blocks * blockSize;
          await closeFile();
          callback(new EndOfMediumReached());
        },
        (error) => {
          settle?.reject(error);
          callback(error);
        },
      );
    },
    final(callback) {
      const all = Buffer.concat(pending, pendingBytes);
      const padded = Buffer.alloc(Math.ceil(all.length / blockSize) * blockSize);
      all.copy(padded);
      writeOut(padded)
        .then(async (accepted) => {
          if (!accepted) {
            summary.endOfMedium = true;
            summary.bytes = summary.blocks * blockSize;
          }
          await closeFile();
          callback(accepted ? null : new EndOfMediumReached());
        })
        .catch((error) => {
          settle?.reject(error);
          callback(error);
        });
    },
  });
  // The stream reports the same failure; this keeps an unawaited `done` from crashing the process.
  done.catch(() => undefined);
  stream.on("close", () =>
    settle?.reject(new Error("write stream closed before its tape file was complete")),
  );
  return { stream, done };
}

/** A Readable of one tape file that ends at its file mark (or at end of data). */
export function createBlockReadStream(drive: BlockIo, blockSize: number, fileNumber: number): ReadHandle {
  const summary: ReadSummary = { fileNumber, bytes: 0, blocks: 0, stoppedAt: "filemark" };
  const transfer = Math.max(blockSize, MAX_READ - (MAX_READ % blockSize));
  let settle: { resolve: (s: ReadSummary) => void; reject: (e: unknown) => void } | undefined;
  const done = new Promise<ReadSummary>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const stream = new Readable({
    highWaterMark: transfer,
    read() {
      drive.read(transfer).then(
        (outcome) => {
          if (outcome.type === "data") {
            summary.bytes += outcome.data.length;
            summary.blocks += outcome.data.length / blockSize;
            this.push(outcome.data);
            return;
          }
          summary.stoppedAt = outcome.type;
          settle?.resolve(summary);
          this.push(null);
        },
        (error) => {
          settle?.reject(error);
          this.destroy(error);
        },
      );
    },
  });
  stream.on("close", () => {
    summary.stoppedAt =
      summary.stoppedAt === "filemark" && !stream.readableEnded ? "cancelled" : summary.stoppedAt;
    settle?.resolve(summary);
  });
  // The stream reports the same failure; this keeps an unawaited `done` from crashing the process.
  done.catch(() => undefined);
  return { stream, done };
}

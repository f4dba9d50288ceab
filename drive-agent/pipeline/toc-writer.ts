import { type Toc, TocSchema } from "../../contracts/toc.ts";
import { type Drive, transferBytes } from "../drives/drive.ts";
import { writeTrailer } from "./drive-writer.ts";
import type { SegmentState } from "./set-catalog.ts";

/** Fields this TOC carries beyond contracts/toc.ts v1 (readers that do not know them ignore them). */
export type TocStreamExtension = {
  /** False for a set that was cancelled or interrupted: the data file ends early. */
  complete: boolean;
  stream: {
    /** Offset of this data file in the whole set stream (0 on the set's first tape). */
    offset: number;
    /** Uncompressed tar bytes per chunk; chunk n holds tar offsets [n × size, (n + 1) × size). */
    plainChunkBytes: number | null;
  };
};

/**
 * Streams a segment's TOC to the drive from its spools: the header is validated against the TOC
 * schema, the file list and chunk index are copied through without ever being held whole.
 */
export async function writeSegmentToc(
  drive: Drive,
  header: Omit<Toc, "files">,
  extension: TocStreamExtension,
  segment: SegmentState,
  blockSize: number,
): Promise<{ bytes: number; blocks: number }> {
  const head = JSON.stringify({ ...TocSchema.parse({ ...header, files: [] }), files: undefined });
  const { stream } = extension;
  const pieces = (function* () {
    yield Buffer.from(
      `${head.slice(0, -1)},"complete":${extension.complete},"stream":{"offset":${stream.offset},"plainChunkBytes":${stream.plainChunkBytes},"chunks":[\n`,
    );
    yield* segment.chunks.read(",\n");
    yield Buffer.from(`\n]},"files":[\n`);
    yield* segment.toc.read(",\n");
    yield Buffer.from("\n]}\n");
  })();
  const transfer = transferBytes(drive, blockSize);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let bytes = 0;
  let blocks = 0;
  for (const piece of pieces) {
    pending.push(piece);
    pendingBytes += piece.length;
    bytes += piece.length;
    while (pendingBytes >= transfer) {
      const all = Buffer.concat(pending, pendingBytes);
      blocks += await writeTrailer(drive, all.subarray(0, transfer), blockSize);
      pending = [all.subarray(transfer)];
      pendingBytes = all.length - transfer;
    }
  }
  const tail = Buffer.alloc(Math.ceil(pendingBytes / blockSize) * blockSize);
  Buffer.concat(pending, pendingBytes).copy(tail);
  if (tail.length > 0) blocks += await writeTrailer(drive, tail, blockSize);
  return { bytes, blocks };
}

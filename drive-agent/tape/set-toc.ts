import { z } from "zod";
import { decodeToc, TOC_MAGIC, type Toc } from "../../contracts/toc.ts";
import { DEFAULT_BLOCK_SIZE, type Drive } from "../drives/drive.ts";
import { DriveError } from "../errors.ts";

/** `[chunk index, plain (tar) offset, offset in this tape's data file]` for chunks starting on this tape. */
export type ChunkIndexEntry = [number, number, number];

/** The TOC fields the drive-agent writes beyond contracts/toc.ts v1 (docs/tape-format.md). */
export type SetStream = {
  /** Where this tape's data file starts in the whole set stream. */
  offset: number;
  plainChunkBytes: number | null;
  chunks: ChunkIndexEntry[];
};

export type SetToc = { toc: Toc; stream: SetStream; complete: boolean };

const Extension = z.object({
  complete: z.boolean().optional(),
  stream: z
    .object({
      offset: z.number().int().nonnegative(),
      plainChunkBytes: z.number().int().positive().nullable(),
      chunks: z.array(z.tuple([z.number().int(), z.number().int(), z.number().int()])).default([]),
    })
    .optional(),
});

/** Decodes a whole TOC file with its stream extension; a TOC without one reads as a plain stream. */
export function decodeSetToc(bytes: Uint8Array): SetToc | null {
  const decoded = decodeToc(bytes);
  if (decoded.kind !== "toc") return null;
  const end = bytes.indexOf(0);
  const raw = JSON.parse(new TextDecoder().decode(end === -1 ? bytes : bytes.subarray(0, end)));
  return { toc: decoded.toc, ...extensionOf(raw) };
}

function extensionOf(raw: unknown): Omit<SetToc, "toc"> {
  const parsed = Extension.safeParse(raw);
  const ext = parsed.success ? parsed.data : {};
  return {
    complete: ext.complete ?? true,
    stream: ext.stream ?? { offset: 0, plainChunkBytes: null, chunks: [] },
  };
}

const FILES_KEY = ',"files":[';
const MAX_HEAD_BYTES = 64 << 20;

/**
 * Reads a TOC only as far as its chunk index: the writer puts `stream` before `files`, so a
 * restore of a set with millions of files does not read its whole file list to find a chunk.
 * The drive must sit at the start of the TOC file.
 */
export async function readTocHead(
  drive: Drive,
  blockSize = DEFAULT_BLOCK_SIZE,
): Promise<Omit<SetToc, "toc"> & { setId: string }> {
  let text = "";
  for (;;) {
    const outcome = await drive.read(Math.max(blockSize, 1 << 20));
    if (outcome.type !== "data") break;
    text += outcome.data.toString("utf8");
    if (text.includes(FILES_KEY) || text.includes("\0") || text.length > MAX_HEAD_BYTES) break;
  }
  if (!text.slice(0, 4096).includes(TOC_MAGIC))
    throw new DriveError("NOT_FOUND", `${drive.name}: the file after the set's data is not a TOC`);
  const cut = text.indexOf(FILES_KEY);
  const json = cut === -1 ? text.slice(0, text.indexOf("\0") >>> 0).trim() : `${text.slice(0, cut)}}`;
  const raw = JSON.parse(json) as { setId?: unknown };
  return { setId: String(raw.setId ?? ""), ...extensionOf(raw) };
}

/** The chunk to start at for a tar offset: the last one at or before it (null: none on this tape). */
export function chunkAt(chunks: readonly ChunkIndexEntry[], plainOffset: number): ChunkIndexEntry | null {
  let found: ChunkIndexEntry | null = null;
  for (const chunk of chunks) {
    if (chunk[1] > plainOffset) break;
    found = chunk;
  }
  return found;
}

import { z } from "zod";

/** Identifies a TOC file on tape; `jq .magic` on a TOC prints it. */
export const TOC_MAGIC = "TAPEBACKARR-TOC";
export const TOC_VERSION = 1;

export const tocFileTypes = ["file", "directory", "symlink", "hardlink", "other"] as const;

export const TocFileSchema = z.object({
  path: z.string().min(1),
  size: z.number().int().nonnegative(),
  /** ISO 8601, UTC. */
  mtime: z.string(),
  /** Permission bits as an octal string ("0644"), as tar and ls show them. */
  mode: z.string().regex(/^0[0-7]{3,4}$/),
  type: z.enum(tocFileTypes),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullable(),
  /** Where the file's tar header starts inside this set's data file, so a restore can seek near it. */
  position: z.object({
    /** Offset of the tar header from the start of the data file (before compression). */
    byteOffset: z.number().int().nonnegative(),
    /** Tape block (of blockSize) holding that header, counted from the start of the data file. */
    block: z.number().int().nonnegative(),
  }),
  linkTarget: z.string().optional(),
  /** Owner ids as tar stored them (added later: a TOC without them reads as 0, root). */
  uid: z.number().int().nonnegative().optional(),
  gid: z.number().int().nonnegative().optional(),
});
export type TocFile = z.infer<typeof TocFileSchema>;

export const TocSchema = z.object({
  magic: z.literal(TOC_MAGIC),
  version: z.literal(TOC_VERSION),
  setId: z.string().min(1),
  job: z.object({ id: z.string(), name: z.string() }),
  startedAt: z.string(),
  finishedAt: z.string(),
  tape: z.object({
    label: z.string(),
    uuid: z.string(),
    /** 1-based position of this tape within the set; a set that spans tapes has one TOC per tape. */
    sequence: z.number().int().positive(),
    /** Tape file number of this set's data file, so `mt fsf` can find it. */
    dataFile: z.number().int().nonnegative(),
    /** True when the set continues on the tape with sequence + 1. */
    continues: z.boolean(),
  }),
  compression: z.enum(["none", "gzip", "zstd"]),
  encryption: z.object({
    algorithm: z.enum(["none", "aes-256-gcm-chunked"]),
    keyFingerprint: z.string().nullable(),
    /**
     * The data key wrapped with the operator's passphrase (contracts/key-export.ts), when the key
     * was exported "onto tapes": the tape and the passphrase are then enough. Never the raw key.
     */
    wrappedKey: z.string().max(300).nullable().optional(),
  }),
  blockSize: z.number().int().positive(),
  dataBytes: z.number().int().nonnegative(),
  files: z.array(TocFileSchema),
});
export type Toc = z.infer<typeof TocSchema>;

/** Serialises a TOC and NUL-pads it to a whole number of blocks: the drive writes fixed blocks. */
export function encodeToc(toc: Toc, blockSize = toc.blockSize): Uint8Array {
  const json = new TextEncoder().encode(`${JSON.stringify(TocSchema.parse(toc), null, 1)}\n`);
  const blocks = Math.max(1, Math.ceil(json.length / blockSize));
  const out = new Uint8Array(blocks * blockSize);
  out.set(json);
  return out;
}

export type DecodeTocResult = { kind: "toc"; toc: Toc } | { kind: "not-toc"; reason: string };

/** Strips the NUL padding and validates; anything else on tape (e.g. tar data) is "not-toc". */
export function decodeToc(bytes: Uint8Array): DecodeTocResult {
  const end = bytes.indexOf(0);
  const text = new TextDecoder().decode(end === -1 ? bytes : bytes.subarray(0, end)).trim();
  if (!text.startsWith("{")) return { kind: "not-toc", reason: "does not start with a JSON object" };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { kind: "not-toc", reason: `invalid JSON: ${(error as Error).message}` };
  }
  const parsed = TocSchema.safeParse(raw);
  if (!parsed.success)
    return { kind: "not-toc", reason: parsed.error.issues[0]?.message ?? "schema mismatch" };
  return { kind: "toc", toc: parsed.data };
}

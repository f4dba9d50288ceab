import { z } from "zod";

/** The label is one 512-byte block in file #0, so `dd bs=512 count=1` reads it on any drive. */
export const LABEL_BLOCK_SIZE = 512;
export const LABEL_MAGIC = "TAPEBACKARR";
const DELIMITER = "|";

// A field may not contain the delimiter or NUL: either would make the block ambiguous to read back.
const field = z.string().regex(/^[^|\0\r\n]*$/, "must not contain |, NUL or newlines");

export const compressionTypes = ["none", "gzip", "zstd"] as const;

export const TapeLabelSchema = z.object({
  label: field.min(1).max(64),
  uuid: field,
  pool: field,
  /** Unix seconds, as the Go TapeBackarr writes it. */
  timestamp: z.number().int().nonnegative(),
  encryptionFingerprint: field,
  compression: z.union([z.enum(compressionTypes), z.literal("")]),
  /** "full" is the 7-field form; "short" is `TAPEBACKARR|label|timestamp` from older Go tapes. */
  form: z.enum(["full", "short"]),
});
export type TapeLabel = z.infer<typeof TapeLabelSchema>;

export type DecodeLabelResult =
  | { kind: "label"; label: TapeLabel }
  | { kind: "empty" }
  | { kind: "foreign"; preview: string };

/** Encodes the full 7-field label, NUL-padded to exactly 512 bytes. */
export function encodeLabel(input: Omit<TapeLabel, "form">): Uint8Array {
  const label = TapeLabelSchema.parse({ ...input, form: "full" });
  const text = [
    LABEL_MAGIC,
    label.label,
    label.uuid,
    label.pool,
    String(label.timestamp),
    label.encryptionFingerprint,
    label.compression,
  ].join(DELIMITER);
  const bytes = new TextEncoder().encode(text);
  if (bytes.length > LABEL_BLOCK_SIZE) throw new Error(`label text is ${bytes.length} bytes, max 512`);
  const block = new Uint8Array(LABEL_BLOCK_SIZE);
  block.set(bytes);
  return block;
}

/**
 * Decodes file #0. Accepts every form the Go project has written: 3 fields (label|timestamp),
 * 5 (label|uuid|pool|timestamp), 6 (+fingerprint) and 7 (+compression).
 */
export function decodeLabel(block: Uint8Array): DecodeLabelResult {
  const end = block.indexOf(0);
  const text = new TextDecoder("utf-8", { fatal: false }).decode(end === -1 ? block : block.subarray(0, end));
  if (text.length === 0) return { kind: "empty" };
  const parts = text.replace(/\s+$/, "").split(DELIMITER);
  if (parts[0] !== LABEL_MAGIC || parts.length < 3) return { kind: "foreign", preview: previewOf(text) };
  const [, label = "", ...rest] = parts;
  if (parts.length === 3) {
    const timestamp = parseTimestamp(rest[0]);
    if (timestamp === null) return { kind: "foreign", preview: previewOf(text) };
    return {
      kind: "label",
      label: TapeLabelSchema.parse({
        label,
        uuid: "",
        pool: "",
        timestamp,
        encryptionFingerprint: "",
        compression: "",
        form: "short",
      }),
    };
  }
  const [uuid = "", pool = "", ts, fingerprint = "", compression = ""] = rest;
  const timestamp = parseTimestamp(ts);
  if (timestamp === null || parts.length > 7) return { kind: "foreign", preview: previewOf(text) };
  const parsed = TapeLabelSchema.safeParse({
    label,
    uuid,
    pool,
    timestamp,
    encryptionFingerprint: fingerprint,
    compression,
    form: "full",
  });
  return parsed.success
    ? { kind: "label", label: parsed.data }
    : { kind: "foreign", preview: previewOf(text) };
}

function parseTimestamp(value: string | undefined): number | null {
  return value !== undefined && /^\d{1,12}$/.test(value) ? Number(value) : null;
}

// Printable prefix only: a foreign tape may start with binary tar headers.
function previewOf(text: string): string {
  return text.slice(0, 60).replace(/[^\x20-\x7e]/g, ".");
}

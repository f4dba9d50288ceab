import { createCipheriv, createDecipheriv, randomFillSync } from "node:crypto";

/**
 * One encrypted chunk on tape (docs/tape-format.md "Compressed and encrypted sets"):
 *
 *   0  "TBC1"  4  flags (bit 0: last chunk of the set)  5  3 zero bytes
 *   8  chunk index, u64 BE      16  plain offset: where the chunk starts in the uncompressed tar stream
 *  24  payload length, u32 BE   28  nonce, 12 random bytes
 *  40  AES-256-GCM ciphertext of the (compressed) chunk, then its 16-byte tag
 *
 * AAD = header bytes 0..27 + the set uuid's 16 bytes, so a chunk cannot be moved to another set or
 * position, renumbered, or passed off as the last one.
 */
export const CHUNK_MAGIC = "TBC1";
export const CHUNK_HEADER_BYTES = 40;
export const CHUNK_TAG_BYTES = 16;
export const CHUNK_FLAG_LAST = 1;
/** Uncompressed bytes per chunk: fixed, so the chunk of any tar offset is offset / size. */
export const DEFAULT_PLAIN_CHUNK_BYTES = 8 << 20;

export type ChunkHeader = {
  index: number;
  plainOffset: number;
  length: number;
  last: boolean;
  nonce: Buffer;
};

export function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ""), "hex");
}

export function encodeChunkHeader(header: ChunkHeader): Buffer {
  const out = Buffer.alloc(CHUNK_HEADER_BYTES);
  out.write(CHUNK_MAGIC, 0, "latin1");
  out[4] = header.last ? CHUNK_FLAG_LAST : 0;
  out.writeBigUInt64BE(BigInt(header.index), 8);
  out.writeBigUInt64BE(BigInt(header.plainOffset), 16);
  out.writeUInt32BE(header.length, 24);
  header.nonce.copy(out, 28);
  return out;
}

export function decodeChunkHeader(buf: Buffer): ChunkHeader | null {
  if (buf.length < CHUNK_HEADER_BYTES || buf.toString("latin1", 0, 4) !== CHUNK_MAGIC) return null;
  return {
    last: ((buf[4] ?? 0) & CHUNK_FLAG_LAST) !== 0,
    index: Number(buf.readBigUInt64BE(8)),
    plainOffset: Number(buf.readBigUInt64BE(16)),
    length: buf.readUInt32BE(24),
    nonce: Buffer.from(buf.subarray(28, 40)),
  };
}

/** The header and the AES-256-GCM cipher (AAD set) of one chunk whose payload is `length` bytes. */
function sealer(
  key: Uint8Array,
  setUuid: Buffer,
  chunk: { index: number; plainOffset: number; last: boolean },
  length: number,
) {
  const nonce = randomFillSync(Buffer.alloc(12));
  const header = encodeChunkHeader({ ...chunk, length, nonce });
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(Buffer.concat([header.subarray(0, 28), setUuid]));
  return { header, cipher };
}

/** Encrypts one chunk's payload (given in pieces, never concatenated) into header + ciphertext + tag. */
export function encryptChunk(
  key: Uint8Array,
  setUuid: Buffer,
  chunk: { index: number; plainOffset: number; last: boolean },
  payload: readonly Buffer[],
): Buffer[] {
  const length = payload.reduce((n, b) => n + b.length, 0);
  const { header, cipher } = sealer(key, setUuid, chunk, length);
  const out = [header];
  for (const piece of payload) out.push(cipher.update(piece));
  out.push(cipher.final(), cipher.getAuthTag());
  return out;
}

/**
 * The same record built in place: `record` holds the payload at CHUNK_HEADER_BYTES and room for
 * the tag after it; the ciphertext overwrites the payload `window` bytes at a time (so what is
 * allocated at once stays small; `afterWindow` may collect it). Returns the record's length.
 */
export function encryptChunkInPlace(
  key: Uint8Array,
  setUuid: Buffer,
  chunk: { index: number; plainOffset: number; last: boolean },
  record: Buffer,
  length: number,
  options: { window: number; afterWindow?: () => void },
): number {
  const { header, cipher } = sealer(key, setUuid, chunk, length);
  header.copy(record, 0);
  const end = CHUNK_HEADER_BYTES + length;
  for (let at = CHUNK_HEADER_BYTES; at < end; at += options.window) {
    cipher.update(record.subarray(at, Math.min(end, at + options.window))).copy(record, at);
    options.afterWindow?.();
  }
  const tail = cipher.final(); // GCM is a stream cipher: nothing is held back
  tail.copy(record, end);
  cipher.getAuthTag().copy(record, end + tail.length);
  return end + tail.length + CHUNK_TAG_BYTES;
}

/** Decrypts one whole record; throws when the tag, the set or the position does not match. */
export function decryptChunk(
  key: Uint8Array,
  setUuid: Buffer,
  record: Buffer,
): { header: ChunkHeader; payload: Buffer } {
  const header = decodeChunkHeader(record);
  if (!header) throw new Error("not an encrypted chunk (no TBC1 magic)");
  const end = CHUNK_HEADER_BYTES + header.length;
  const decipher = createDecipheriv("aes-256-gcm", key, header.nonce);
  decipher.setAAD(Buffer.concat([record.subarray(0, 28), setUuid]));
  decipher.setAuthTag(record.subarray(end, end + CHUNK_TAG_BYTES));
  const payload = Buffer.concat([
    decipher.update(record.subarray(CHUNK_HEADER_BYTES, end)),
    decipher.final(),
  ]);
  return { header, payload };
}

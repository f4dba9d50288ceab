import { createHash, type Hash } from "node:crypto";
import type { CatalogEntry } from "../../contracts/agent-protocol.ts";

export type TarMember = {
  path: string;
  type: CatalogEntry[1];
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  linkTarget: string | null;
  sha256: string | null;
  /** Offset of the member's first header (a GNU long-name or pax header when there is one). */
  headerOffset: number;
  /** Offset just past the member's last content byte (before padding). */
  endOffset: number;
};

const BLOCK = 512;
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const TYPES: Record<string, CatalogEntry[1]> = {
  "0": "file",
  "\0": "file",
  "7": "file",
  "1": "hardlink",
  "2": "symlink",
  "3": "char",
  "4": "block",
  "5": "dir",
  "6": "fifo",
  D: "dir",
};

type Pending = { name?: string; linkName?: string; pax: Record<string, string> };

/**
 * Parses a tar stream (ustar, GNU long names, pax) as it passes, without copying content: headers
 * are read in place and file content goes straight into the member's sha256. `push` is synchronous
 * so the caller can forward the very same buffer downstream afterwards.
 */
export class TarParser {
  offset = 0;
  ended = false;
  private header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  /** Content bytes left of the current member, then its padding. */
  private remaining = 0;
  private padding = 0;
  private hash: Hash | null = null;
  private extension: { kind: string; chunks: Buffer[]; size: number } | null = null;
  private member: TarMember | null = null;
  private pending: Pending = { pax: {} };
  private memberStart = -1;

  constructor(private readonly onMember: (member: TarMember) => void) {}

  /** Where the member being parsed starts: no member before it can still be reported. */
  get openOffset(): number {
    return this.member?.headerOffset ?? (this.memberStart >= 0 ? this.memberStart : this.offset);
  }

  push(data: Buffer): void {
    let pos = 0;
    while (pos < data.length && !this.ended) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, data.length - pos);
        const slice = data.subarray(pos, pos + take);
        if (this.hash) this.hash.update(slice);
        else if (this.extension) this.extension.chunks.push(Buffer.from(slice));
        this.remaining -= take;
        pos += take;
        this.offset += take;
        if (this.remaining === 0) this.finishContent();
        continue;
      }
      if (this.padding > 0) {
        const take = Math.min(this.padding, data.length - pos);
        this.padding -= take;
        pos += take;
        this.offset += take;
        continue;
      }
      // A header: parse in place when whole, else gather it across buffers.
      if (this.headerFill === 0 && data.length - pos >= BLOCK) {
        this.parseHeader(data.subarray(pos, pos + BLOCK), this.offset);
        pos += BLOCK;
        this.offset += BLOCK;
        continue;
      }
      const take = Math.min(BLOCK - this.headerFill, data.length - pos);
      data.copy(this.header, this.headerFill, pos, pos + take);
      this.headerFill += take;
      pos += take;
      this.offset += take;
      if (this.headerFill < BLOCK) continue;
      this.headerFill = 0;
      this.parseHeader(this.header, this.offset - BLOCK);
    }
  }

  private parseHeader(block: Buffer, start: number): void {
    if (block[0] === 0 && block.every((b) => b === 0)) {
      this.ended = true;
      return;
    }
    if (this.memberStart < 0) this.memberStart = start;
    const flag = String.fromCharCode(block[156] ?? 0);
    const size = readNumber(block, 124, 12);
    const dataSize = this.pending.pax.size !== undefined ? Number(this.pending.pax.size) : size;
    if (flag === "L" || flag === "K" || flag === "x" || flag === "g") {
      this.extension = { kind: flag, chunks: [], size };
      this.remaining = size;
      this.padding = pad(size);
      if (size === 0) this.finishContent();
      return;
    }
    const ustar = block.toString("latin1", 257, 263) === "ustar\0";
    const prefix = ustar ? cString(block, 345, 155) : "";
    const rawName = this.pending.pax.path ?? this.pending.name ?? joinName(prefix, cString(block, 0, 100));
    const type = TYPES[flag] ?? "other";
    const link = this.pending.pax.linkpath ?? this.pending.linkName ?? cString(block, 157, 100);
    const pax = this.pending.pax;
    // Links, directories and devices have no content; an unknown member's bytes are skipped unhashed.
    const contentBytes = "123456".includes(flag) ? 0 : dataSize;
    const member: TarMember = {
      path: rawName.replace(/^\.\//, "").replace(/\/+$/, "") || ".",
      type,
      size: type === "file" ? dataSize : 0,
      mode: readNumber(block, 100, 8) & 0o7777,
      uid: pax.uid !== undefined ? Number(pax.uid) : readNumber(block, 108, 8),
      gid: pax.gid !== undefined ? Number(pax.gid) : readNumber(block, 116, 8),
      mtime: pax.mtime !== undefined ? Math.floor(Number(pax.mtime)) : readNumber(block, 136, 12),
      linkTarget: type === "symlink" || type === "hardlink" ? link : null,
      sha256: null,
      headerOffset: this.memberStart,
      endOffset: start + BLOCK + contentBytes,
    };
    this.pending = { pax: {} };
    this.memberStart = -1;
    this.remaining = contentBytes;
    this.padding = pad(contentBytes);
    if (type === "file" && contentBytes > 0) {
      this.hash = createHash("sha256");
      this.member = member;
      return;
    }
    if (type === "file") member.sha256 = EMPTY_SHA256;
    this.member = contentBytes > 0 ? member : null;
    if (contentBytes === 0) this.onMember(member);
  }

  private finishContent(): void {
    if (this.extension) {
      const text = Buffer.concat(this.extension.chunks);
      const { kind } = this.extension;
      this.extension = null;
      if (kind === "L") this.pending.name = cString(text, 0, text.length);
      else if (kind === "K") this.pending.linkName = cString(text, 0, text.length);
      else if (kind === "x") Object.assign(this.pending.pax, parsePax(text));
      // "g" (global pax) applies to the whole archive; GNU tar never writes one on create.
      return;
    }
    const member = this.member;
    if (!member) return;
    if (this.hash) member.sha256 = this.hash.digest("hex");
    this.hash = null;
    this.member = null;
    this.onMember(member);
  }
}

function pad(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** A NUL-terminated field of a tar header. */
export function cString(buf: Buffer, start: number, length: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString("utf8", start, end === -1 || end > start + length ? start + length : end);
}

function joinName(prefix: string, name: string): string {
  return prefix ? `${prefix}/${name}` : name;
}

/** Octal ASCII, or GNU base-256 (high bit of the first byte set) for values that do not fit. */
export function readNumber(buf: Buffer, start: number, length: number): number {
  const first = buf[start] ?? 0;
  if (first & 0x80) {
    let value = first & 0x3f;
    for (let i = 1; i < length; i++) value = value * 256 + (buf[start + i] ?? 0);
    return first & 0x40 ? -value : value;
  }
  let value = 0;
  for (let i = start; i < start + length; i++) {
    const c = buf[i] ?? 0;
    if (c >= 0x30 && c <= 0x37) value = value * 8 + (c - 0x30);
    else if (c !== 0x20 || value > 0) break;
  }
  return value;
}

/** Pax records are "<len> <key>=<value>\n", with len counting the whole record in bytes. */
export function parsePax(text: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < text.length) {
    const space = text.indexOf(0x20, pos);
    if (space === -1) break;
    const length = Number(text.toString("latin1", pos, space));
    if (!Number.isInteger(length) || length <= 0) break;
    const record = text.toString("utf8", space + 1, pos + length - 1);
    const eq = record.indexOf("=");
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    pos += length;
  }
  return out;
}

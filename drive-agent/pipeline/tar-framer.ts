import type { CatalogEntryType } from "../../contracts/catalog-record.ts";

export const TAR_BLOCK = 512;

const TYPES: Record<string, CatalogEntryType> = {
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
  // GNU (old-format) sparse file: a map of data regions in its headers, only the data stored.
  S: "file",
};

/** Data regions of a sparse member (offsets in the file) and its real size; the rest is holes. */
export type SparseMap = { realSize: number; regions: { offset: number; length: number }[] };

/** A member as its header (and any GNU long-name or pax header before it) describes it. */
export type TarHeader = {
  path: string;
  type: CatalogEntryType;
  /** File size; 0 for everything but regular files. */
  size: number;
  /** Content bytes that follow the header in the stream (an unknown member's bytes count too). */
  contentBytes: number;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  linkTarget: string | null;
  /** Offset of the member's first header (a GNU long-name or pax header when there is one). */
  headerOffset: number;
  /** Offset just past the member's last content byte (before padding). */
  endOffset: number;
  /** Major and minor number of a char or block device, else null. */
  device: { major: number; minor: number } | null;
  /** A sparse member: its content is the map's regions, one after another. Else null. */
  sparse: SparseMap | null;
};

/**
 * What `step` found: nothing more to do with this buffer (feed the next one, or the archive's
 * end marker was read: `ended`), a member header, a piece of its content, the member's end.
 */
export const TarEvent = { NeedData: 0, Member: 1, Content: 2, MemberEnd: 3 } as const;
export type TarEvent = (typeof TarEvent)[keyof typeof TarEvent];

/**
 * The framing of a tar stream (ustar, GNU long names, pax), shared by the backup parser and the
 * restore extractor: it finds headers, gathers extension headers, skips padding and hands the
 * content out as slices of the caller's own buffer, one event per `step`, without allocating.
 * Sync and async consumers drive it the same way:
 *
 *   framer.feed(data);
 *   for (let e = framer.step(); e !== TarEvent.NeedData; e = framer.step()) …
 *
 * Content comes as slices of the fed buffer: use them before feeding the next one.
 */
export class TarFramer {
  /** Stream offset of the next byte `step` will look at. */
  offset: number;
  ended = false;
  /** The member of the last Member event, until the next one. */
  member: TarHeader | null = null;
  /** The content slice of the last Content event. */
  slice: Buffer = Buffer.alloc(0);
  private data: Buffer = Buffer.alloc(0);
  private pos = 0;
  private header = Buffer.alloc(TAR_BLOCK);
  private headerFill = 0;
  private remaining = 0;
  private padding = 0;
  private inMember = false;
  private extension: { kind: string; chunks: Buffer[] } | null = null;
  private pending: { name?: string; linkName?: string; pax: Record<string, string> } = { pax: {} };
  private memberStart = -1;
  /** A sparse member whose map goes on in extension blocks still to come. */
  private sparseOpen: TarHeader | null = null;

  constructor(
    startOffset = 0,
    /** Refuse a header whose checksum is wrong (a stream that lost its place) instead of trusting it. */
    private readonly checkHeaders = false,
  ) {
    this.offset = startOffset;
  }

  /** The member whose content is being read now, or null between members. */
  get current(): TarHeader | null {
    return this.inMember ? this.member : null;
  }

  /** Where the member being read starts: no member before it can still be reported. */
  get openOffset(): number {
    if (this.inMember && this.member) return this.member.headerOffset;
    return this.memberStart >= 0 ? this.memberStart : this.offset;
  }

  feed(data: Buffer): void {
    this.data = data;
    this.pos = 0;
  }

  step(): TarEvent {
    const data = this.data;
    while (this.pos < data.length && !this.ended) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, data.length - this.pos);
        const slice = data.subarray(this.pos, this.pos + take);
        this.remaining -= take;
        this.pos += take;
        this.offset += take;
        if (this.extension) {
          this.extension.chunks.push(Buffer.from(slice));
          if (this.remaining === 0) this.endExtension();
          continue;
        }
        this.slice = slice;
        return TarEvent.Content;
      }
      if (this.inMember) {
        this.inMember = false;
        return TarEvent.MemberEnd;
      }
      if (this.padding > 0) {
        const take = Math.min(this.padding, data.length - this.pos);
        this.padding -= take;
        this.pos += take;
        this.offset += take;
        continue;
      }
      // A header: read in place when whole, else gathered across buffers.
      let block: Buffer;
      if (this.headerFill === 0 && data.length - this.pos >= TAR_BLOCK) {
        block = data.subarray(this.pos, this.pos + TAR_BLOCK);
        this.pos += TAR_BLOCK;
      } else {
        const take = Math.min(TAR_BLOCK - this.headerFill, data.length - this.pos);
        data.copy(this.header, this.headerFill, this.pos, this.pos + take);
        this.headerFill += take;
        this.pos += take;
        this.offset += take;
        if (this.headerFill < TAR_BLOCK) continue;
        this.headerFill = 0;
        this.offset -= TAR_BLOCK;
        block = this.header;
      }
      const start = this.offset;
      this.offset += TAR_BLOCK;
      if (this.readHeader(block, start)) return TarEvent.Member;
    }
    // A member with no content ends as soon as its header is read, even at the end of a buffer.
    if (this.inMember && this.remaining === 0 && !this.ended) {
      this.inMember = false;
      return TarEvent.MemberEnd;
    }
    return TarEvent.NeedData;
  }

  /** True when the header starts a member; false for an extension header or the end of the archive. */
  private readHeader(block: Buffer, start: number): boolean {
    if (this.sparseOpen) return this.readSparseExtension(block);
    if (block[0] === 0 && block.every((b) => b === 0)) {
      this.ended = true;
      return false;
    }
    if (this.checkHeaders && !validChecksum(block))
      throw new Error(`no tar header at tar offset ${start} (bad checksum): the stream is damaged`);
    if (this.memberStart < 0) this.memberStart = start;
    const flag = String.fromCharCode(block[156] ?? 0);
    const size = readNumber(block, 124, 12);
    if (flag === "L" || flag === "K" || flag === "x" || flag === "g") {
      this.extension = { kind: flag, chunks: [] };
      this.remaining = size;
      this.padding = pad(size);
      if (size === 0) this.endExtension();
      return false;
    }
    const pax = this.pending.pax;
    const prefix = block.toString("latin1", 257, 263) === "ustar\0" ? cString(block, 345, 155) : "";
    const rawName = pax.path ?? this.pending.name ?? (prefix ? `${prefix}/` : "") + cString(block, 0, 100);
    const type = TYPES[flag] ?? "other";
    const dataSize = pax.size !== undefined ? Number(pax.size) : size;
    // Links, directories and devices have no content; an unknown member's bytes are skipped.
    const contentBytes = "123456".includes(flag) ? 0 : dataSize;
    const sparse = flag === "S" ? { realSize: readNumber(block, 483, 12), regions: [] } : null;
    if (sparse) addRegions(sparse, block, 386, 4);
    this.member = {
      path: memberPath(rawName),
      type,
      size: sparse ? sparse.realSize : type === "file" ? dataSize : 0,
      contentBytes,
      mode: readNumber(block, 100, 8) & 0o7777,
      uid: pax.uid !== undefined ? Number(pax.uid) : readNumber(block, 108, 8),
      gid: pax.gid !== undefined ? Number(pax.gid) : readNumber(block, 116, 8),
      mtime: pax.mtime !== undefined ? Math.floor(Number(pax.mtime)) : readNumber(block, 136, 12),
      linkTarget:
        type === "symlink" || type === "hardlink"
          ? (pax.linkpath ?? this.pending.linkName ?? cString(block, 157, 100))
          : null,
      headerOffset: this.memberStart,
      endOffset: start + TAR_BLOCK + contentBytes,
      device:
        flag === "3" || flag === "4"
          ? { major: readNumber(block, 329, 8), minor: readNumber(block, 337, 8) }
          : null,
      sparse,
    };
    this.pending = { pax: {} };
    this.memberStart = -1;
    if (sparse && block[482] === 1) {
      this.sparseOpen = this.member;
      return false;
    }
    return this.openMember(this.member);
  }

  private openMember(member: TarHeader): boolean {
    this.remaining = member.contentBytes;
    this.padding = pad(member.contentBytes);
    this.inMember = true;
    return true;
  }

  /** A GNU sparse extension block: 21 more regions, and whether another block follows. */
  private readSparseExtension(block: Buffer): boolean {
    const member = this.sparseOpen as TarHeader;
    if (member.sparse) addRegions(member.sparse, block, 0, 21);
    member.endOffset += TAR_BLOCK;
    if (block[504] === 1) return false;
    this.sparseOpen = null;
    return this.openMember(member);
  }

  private endExtension(): void {
    const extension = this.extension;
    if (!extension) return;
    this.extension = null;
    const text = Buffer.concat(extension.chunks);
    if (extension.kind === "L") this.pending.name = cString(text, 0, text.length);
    else if (extension.kind === "K") this.pending.linkName = cString(text, 0, text.length);
    else if (extension.kind === "x") Object.assign(this.pending.pax, parsePax(text));
    // "g" (global pax) applies to the whole archive; GNU tar never writes one on create.
  }
}

function addRegions(map: SparseMap, block: Buffer, at: number, count: number): void {
  for (let i = 0; i < count; i++) {
    const entry = at + i * 24;
    if (block[entry] === 0) break;
    const region = { offset: readNumber(block, entry, 12), length: readNumber(block, entry + 12, 12) };
    if (region.length > 0) map.regions.push(region);
  }
}

function pad(size: number): number {
  return (TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK;
}

/** The header checksum: a stream that lost its place (a damaged block) is caught at the next header. */
function validChecksum(block: Buffer): boolean {
  const stored = readNumber(block, 148, 8);
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] ?? 0);
  return sum === stored;
}

/** A NUL-terminated field of a tar header. */
export function cString(buf: Buffer, start: number, length: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString("utf8", start, end === -1 || end > start + length ? start + length : end);
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

/**
 * The name without a leading "./" and trailing slashes ("." when nothing is left): what
 * `replace(/^\.\//, "").replace(/\/+$/, "")` gives, without two regular expressions per member.
 */
export function memberPath(raw: string): string {
  const start = raw.charCodeAt(0) === 46 && raw.charCodeAt(1) === 47 ? 2 : 0;
  let end = raw.length;
  while (end > start && raw.charCodeAt(end - 1) === 47) end--;
  if (start === 0 && end === raw.length) return raw || ".";
  return raw.slice(start, end) || ".";
}

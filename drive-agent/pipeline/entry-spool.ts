import { CATALOG_ENTRY_TYPES } from "../../contracts/agent-protocol.ts";
import type { CatalogEntryType } from "../../contracts/catalog-record.ts";
import { LineSpool } from "./line-spool.ts";
import type { TarMember } from "./tar-parser.ts";

/**
 * What tar tells of a member, as the spool holds it: the strings as their JSON, the pieces the TOC
 * line and the catalog's wire line are written from (see SetCatalog), so a member's strings are
 * encoded once and never decoded back into values that would be re-encoded.
 */
export type SpooledFields = Pick<TarMember, "type" | "size" | "mode" | "uid" | "gid" | "mtime"> & {
  /** JSON.stringify of the path. */
  pathJson: string;
  /** JSON.stringify of the link target: `null` when there is none. */
  linkJson: string;
  /** `null` (the text) when there is no sha256, else its 64 hex digits in quotes. */
  sha256Json: string;
};

/** A member waiting to learn which segment(s) hold it: it is known once its bytes are on tape. */
export type SpooledMember = {
  /** Ordinal of the member in the set, so a peek and a later take can tell members apart. */
  ordinal: number;
  startChunk: number;
  endChunk: number;
  headerOffset: number;
  endOffset: number;
  fields: SpooledFields;
};

/**
 * Read back per fill: ~2,000 members of small files, so fewer are alive when the young generation
 * is collected (a 1 MiB read held ~8,000 that every scavenge copied); still far above the longest
 * line (a PATH_MAX name and link target, JSON-escaped).
 */
const READ_BYTES = 256 << 10;

/** The spool's line: tab-separated (JSON escapes every tab and newline inside a string). */
export function spoolLine(
  member: Pick<
    TarMember,
    "path" | "type" | "size" | "mode" | "uid" | "gid" | "mtime" | "linkTarget" | "sha256"
  >,
): string {
  const link = member.linkTarget === null ? "null" : JSON.stringify(member.linkTarget);
  const sha256 = member.sha256 === null ? "null" : `"${member.sha256}"`;
  return `${TYPE_CODES[member.type]}\t${member.size}\t${member.mode}\t${member.uid}\t${member.gid}\t${member.mtime}\t${sha256}\t${link}\t${JSON.stringify(member.path)}`;
}

/** The fields of a spoolLine (without the offsets before it), read at its tabs from `from`. */
export function spooledFields(line: string, from = 0): SpooledFields {
  // indexOf in line, not a helper closure: tsx's keepNames wraps each closure per call (__name).
  const t1 = line.indexOf("\t", from);
  const t2 = line.indexOf("\t", t1 + 1);
  const t3 = line.indexOf("\t", t2 + 1);
  const t4 = line.indexOf("\t", t3 + 1);
  const t5 = line.indexOf("\t", t4 + 1);
  const t6 = line.indexOf("\t", t5 + 1);
  const t7 = line.indexOf("\t", t6 + 1);
  const t8 = line.indexOf("\t", t7 + 1);
  // Numbers and the type are read in place and "null" is a constant: only the path, the sha256
  // and a link target are strings that live with the member until it is sent.
  return {
    type: CATALOG_ENTRY_TYPES[intAt(line, from, t1)] as CatalogEntryType,
    size: intAt(line, t1 + 1, t2),
    mode: intAt(line, t2 + 1, t3),
    uid: intAt(line, t3 + 1, t4),
    gid: intAt(line, t4 + 1, t5),
    mtime: intAt(line, t5 + 1, t6),
    sha256Json: line.charCodeAt(t6 + 1) === 110 ? "null" : line.slice(t6 + 1, t7),
    linkJson: line.charCodeAt(t7 + 1) === 110 ? "null" : line.slice(t7 + 1, t8),
    pathJson: line.slice(t8 + 1),
  };
}

/** The type as its index in CATALOG_ENTRY_TYPES: one digit in the spool. */
const TYPE_CODES = Object.fromEntries(CATALOG_ENTRY_TYPES.map((type, i) => [type, i])) as Record<
  CatalogEntryType,
  number
>;

/** The integer written in decimal at line[from, to), without a string per number. */
function intAt(line: string, from: number, to: number): number {
  const negative = line.charCodeAt(from) === 45;
  let n = 0;
  for (let i = negative ? from + 1 : from; i < to; i++) {
    const digit = line.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return Number(line.slice(from, to));
    n = n * 10 + digit;
  }
  return negative ? -n : n;
}

/**
 * Members parsed from the tar stream run far ahead of the drive (mbuffer, compression, a tape
 * change), by millions of entries when tiny files compress well. They wait here, on disk, so
 * memory stays flat; a reader takes them back in order once the drive has written their bytes.
 */
export class EntrySpool {
  private readonly lines: LineSpool;
  private readPos = 0;
  private nextOrdinal = 0;
  private queued: Array<SpooledMember | null> = [];
  /** The next member to take in `queued` (an index: shift() would move the rest each time). */
  private head = 0;

  constructor(
    readonly path: string,
    private readonly chunkBytes: number,
  ) {
    this.lines = new LineSpool(path);
  }

  get count(): number {
    return this.lines.count;
  }

  add(member: TarMember): void {
    const end = Math.max(member.endOffset, member.headerOffset + 1);
    this.lines.add(
      `${Math.floor(member.headerOffset / this.chunkBytes)}\t${Math.floor((end - 1) / this.chunkBytes)}\t${member.headerOffset}\t${member.endOffset}\t${spoolLine(member)}`,
    );
  }

  flush(): void {
    this.lines.flush();
  }

  /** The next member in order without taking it, or null when none is spooled yet. */
  peek(): SpooledMember | null {
    if (this.head === this.queued.length) {
      this.queued = [];
      this.head = 0;
      this.fill();
    }
    return this.queued[this.head] ?? null;
  }

  /** Takes the next member; its slot is cleared so it can be collected once its caller is done. */
  take(): SpooledMember | null {
    const next = this.peek();
    if (next) this.queued[this.head++] = null;
    return next;
  }

  /** Members after the current one, in order, reading ahead without consuming (a segment's TOC). */
  *lookAhead(): Generator<SpooledMember> {
    let i = this.head;
    for (;;) {
      if (i >= this.queued.length) {
        const before = this.queued.length;
        this.fill();
        if (this.queued.length === before) return;
      }
      const member = this.queued[i++];
      if (!member) return;
      yield member;
    }
  }

  close(): void {
    this.lines.close();
  }

  private fill(): void {
    const { lines, next } = this.lines.readLines(this.readPos, READ_BYTES);
    this.readPos = next;
    for (const line of lines) {
      const t1 = line.indexOf("\t");
      const t2 = line.indexOf("\t", t1 + 1);
      const t3 = line.indexOf("\t", t2 + 1);
      const t4 = line.indexOf("\t", t3 + 1);
      this.queued.push({
        ordinal: this.nextOrdinal++,
        startChunk: intAt(line, 0, t1),
        endChunk: intAt(line, t1 + 1, t2),
        headerOffset: intAt(line, t2 + 1, t3),
        endOffset: intAt(line, t3 + 1, t4),
        fields: spooledFields(line, t4 + 1),
      });
    }
  }
}

import type { CatalogRecord } from "../../contracts/catalog-record.ts";
import { LineSpool } from "./line-spool.ts";
import type { TarMember } from "./tar-parser.ts";

/** What tar tells of a member, by name: a catalog record before its place on tape is known. */
export type MemberFields = Pick<
  CatalogRecord,
  "path" | "type" | "size" | "mode" | "uid" | "gid" | "mtime" | "linkTarget" | "sha256"
>;

/** The spool's compact form of MemberFields on disk (one JSON array per line). */
type SpooledFields = [
  string,
  TarMember["type"],
  number,
  number,
  number,
  number,
  number,
  string | null,
  string | null,
];

/** A member waiting to learn which segment(s) hold it: it is known once its bytes are on tape. */
export type SpooledMember = {
  /** Ordinal of the member in the set, so a peek and a later take can tell members apart. */
  ordinal: number;
  startChunk: number;
  endChunk: number;
  headerOffset: number;
  endOffset: number;
  fields: MemberFields;
};

/**
 * Read back per fill: ~2,000 members of small files, so fewer are alive when the young generation
 * is collected (a 1 MiB read held ~8,000 that every scavenge copied); still far above the longest
 * line (a PATH_MAX name and link target, JSON-escaped).
 */
const READ_BYTES = 256 << 10;

/**
 * Members parsed from the tar stream run far ahead of the drive (mbuffer, compression, a tape
 * change), by millions of entries when tiny files compress well. They wait here, on disk, so
 * memory stays flat; a reader takes them back in order once the drive has written their bytes.
 */
export class EntrySpool {
  private readonly lines: LineSpool;
  private readPos = 0;
  private nextOrdinal = 0;
  private queued: SpooledMember[] = [];

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
      `${Math.floor(member.headerOffset / this.chunkBytes)}\t${Math.floor((end - 1) / this.chunkBytes)}\t${member.headerOffset}\t${member.endOffset}\t${JSON.stringify([member.path, member.type, member.size, member.mode, member.uid, member.gid, member.mtime, member.linkTarget, member.sha256])}`,
    );
  }

  flush(): void {
    this.lines.flush();
  }

  /** The next member in order without taking it, or null when none is spooled yet. */
  peek(): SpooledMember | null {
    if (this.queued.length === 0) this.fill();
    return this.queued[0] ?? null;
  }

  take(): SpooledMember | null {
    const next = this.peek();
    if (next) this.queued.shift();
    return next;
  }

  /** Members after the current one, in order, reading ahead without consuming (a segment's TOC). */
  *lookAhead(): Generator<SpooledMember> {
    let i = 0;
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
      const [startChunk, endChunk, headerOffset, endOffset, json] = line.split("\t", 5);
      this.queued.push({
        ordinal: this.nextOrdinal++,
        startChunk: Number(startChunk),
        endChunk: Number(endChunk),
        headerOffset: Number(headerOffset),
        endOffset: Number(endOffset),
        fields: fieldsOf(JSON.parse(json ?? "[]") as SpooledFields),
      });
    }
  }
}

function fieldsOf([
  path,
  type,
  size,
  mode,
  uid,
  gid,
  mtime,
  linkTarget,
  sha256,
]: SpooledFields): MemberFields {
  return { path, type, size, mode, uid, gid, mtime, linkTarget, sha256 };
}

import { closeSync, openSync, readSync, writeSync } from "node:fs";
import type { TarMember } from "./tar-parser.ts";

/** A member waiting to learn which segment(s) hold it: it is known once its bytes are on tape. */
export type SpooledMember = {
  /** Ordinal of the member in the set, so a peek and a later take can tell members apart. */
  ordinal: number;
  startChunk: number;
  endChunk: number;
  headerOffset: number;
  endOffset: number;
  /** [path, type, size, mode, uid, gid, mtime, linkTarget, sha256] */
  fields: [string, TarMember["type"], number, number, number, number, number, string | null, string | null];
};

const FLUSH_BYTES = 256 << 10;
const READ_BYTES = 1 << 20;

/**
 * Members parsed from the tar stream run far ahead of the drive (mbuffer, compression, a tape
 * change), by millions of entries when tiny files compress well. They wait here, on disk, so
 * memory stays flat; a reader takes them back in order once the drive has written their bytes.
 */
export class EntrySpool {
  private readonly fd: number;
  private buffer: string[] = [];
  private bufferBytes = 0;
  private written = 0;
  private readPos = 0;
  private nextOrdinal = 0;
  private queued: SpooledMember[] = [];
  count = 0;

  constructor(
    readonly path: string,
    private readonly chunkBytes: number,
  ) {
    this.fd = openSync(path, "w+");
  }

  add(member: TarMember): void {
    const end = Math.max(member.endOffset, member.headerOffset + 1);
    const line = `${Math.floor(member.headerOffset / this.chunkBytes)}\t${Math.floor((end - 1) / this.chunkBytes)}\t${member.headerOffset}\t${member.endOffset}\t${JSON.stringify([member.path, member.type, member.size, member.mode, member.uid, member.gid, member.mtime, member.linkTarget, member.sha256])}\n`;
    this.buffer.push(line);
    this.bufferBytes += line.length;
    this.count++;
    if (this.bufferBytes >= FLUSH_BYTES) this.flush();
  }

  flush(): void {
    if (this.buffer.length === 0) return;
    const data = Buffer.from(this.buffer.join(""), "utf8");
    this.buffer = [];
    this.bufferBytes = 0;
    let done = 0;
    while (done < data.length)
      done += writeSync(this.fd, data, done, data.length - done, this.written + done);
    this.written += data.length;
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
    closeSync(this.fd);
  }

  private fill(): void {
    if (this.readPos >= this.written) this.flush();
    if (this.readPos >= this.written) return;
    const buf = Buffer.allocUnsafe(Math.min(READ_BYTES, this.written - this.readPos));
    const got = readSync(this.fd, buf, 0, buf.length, this.readPos);
    // Whole lines only: a record cut by this read is read again next time.
    const end = buf.lastIndexOf(10, got - 1);
    if (end === -1) throw new Error(`entry spool ${this.path}: a record longer than ${READ_BYTES} bytes`);
    const text = buf.toString("utf8", 0, end + 1);
    this.readPos += end + 1;
    let pos = 0;
    while (pos < text.length) {
      const nl = text.indexOf("\n", pos);
      const line = text.slice(pos, nl);
      const [startChunk, endChunk, headerOffset, endOffset, json] = line.split("\t", 5);
      this.queued.push({
        ordinal: this.nextOrdinal++,
        startChunk: Number(startChunk),
        endChunk: Number(endChunk),
        headerOffset: Number(headerOffset),
        endOffset: Number(endOffset),
        fields: JSON.parse(json ?? "[]"),
      });
      pos = nl + 1;
    }
  }
}

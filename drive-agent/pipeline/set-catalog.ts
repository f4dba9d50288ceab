import { join } from "node:path";
import {
  type CatalogChunk,
  MAX_CATALOG_CHUNK_ENTRIES,
  MAX_REPORT_BYTES,
  type SegmentCatalogTally,
} from "../../contracts/agent-protocol.ts";
import { canonicalWireLine } from "../../contracts/catalog-digest.ts";
import { type CatalogEntryType, type CatalogRecord, toWireEntry } from "../../contracts/catalog-record.ts";
import type { TocFile } from "../../contracts/toc.ts";
import { CatalogBatcher } from "./catalog-batch.ts";
import { type EntrySpool, type SpooledMember, spooledFields, spoolLine } from "./entry-spool.ts";
import { LineSpool } from "./line-spool.ts";
import type { ChunkPlacement } from "./set-encoder.ts";
import type { TarHeader } from "./tar-framer.ts";

export type SegmentState = {
  sequence: number;
  /** Offset in the set's stream where this tape's data file begins. */
  streamStart: number;
  toc: LineSpool;
  /** [chunk index, plain offset, offset in this data file] for chunks that start here. */
  chunks: LineSpool;
  closed: boolean;
};

const TOC_TYPES: Record<CatalogEntryType, TocFile["type"]> = {
  file: "file",
  dir: "directory",
  symlink: "symlink",
  hardlink: "hardlink",
  char: "other",
  block: "other",
  fifo: "other",
  other: "other",
};

const MAX_UNSENT_CHUNKS = 4;

/**
 * Follows the set's bytes onto tape: as the drive commits stream bytes it resolves spooled members
 * to the segment(s) that hold them, sends catalog chunks (cut to the wire limits by
 * CatalogBatcher), and fills each segment's TOC spool with the files whose header starts there.
 */
export class SetCatalog {
  readonly segments: SegmentState[] = [];
  private readonly placements = new Map<number, ChunkPlacement & { indexed: boolean }>();
  private committed = 0;
  private readonly batcher: CatalogBatcher;
  private seq = 0;
  private unsent = 0;
  private sending: Promise<void> = Promise.resolve();
  private sendFailure: unknown = null;
  private waiters: Array<() => void> = [];
  filesResolved = 0;
  private isoOf = { mtime: Number.NaN, iso: "" };

  constructor(
    private readonly options: {
      spool: EntrySpool;
      setUuid: string;
      passthrough: boolean;
      blockSize: number;
      workDir: string;
      /** Entries per chunk (at most the contract's); the byte cut is CatalogBatcher's. */
      chunkEntries: number;
      /** Plain offset of the member the tar parser is inside: its chunks must stay known. */
      openOffset: () => number;
      /** The member the tar parser is inside, not yet in the spool (its content still streams). */
      openMember?: () => TarHeader | null;
      chunkBytes: number;
      send: (chunk: CatalogChunk) => Promise<void>;
    },
  ) {
    this.batcher = new CatalogBatcher(
      options.setUuid,
      () => this.seq++,
      (chunk) => this.sendChunk(chunk),
      { entries: Math.min(options.chunkEntries, MAX_CATALOG_CHUNK_ENTRIES), bytes: MAX_REPORT_BYTES },
    );
  }

  get passthroughSet(): boolean {
    return this.options.passthrough;
  }

  get chunksSent(): number {
    return this.seq;
  }

  /** Per segment started, what went to the catalog: for the order's closing report. */
  tallies(): SegmentCatalogTally[] {
    return this.batcher.tallies(this.segments.length);
  }

  startSegment(sequence: number): SegmentState {
    const base = join(this.options.workDir, `segment-${sequence}`);
    const segment = {
      sequence,
      streamStart: this.committed,
      toc: new LineSpool(`${base}.toc`),
      chunks: new LineSpool(`${base}.chunks`),
      closed: false,
    };
    this.segments.push(segment);
    return segment;
  }

  onPlacement(placement: ChunkPlacement): void {
    this.placements.set(placement.index, { ...placement, indexed: false });
  }

  /**
   * The drive has written the set's stream up to `bytes` (over all segments so far). One write of
   * well-compressed tiny files can settle 100,000s of members: they are resolved a chunk's worth at
   * a time, waiting for the hub between chunks, so memory stays flat.
   */
  async commit(bytes: number): Promise<void> {
    this.committed = bytes;
    while (this.resolve(this.options.chunkEntries)) await this.backpressure();
    await this.backpressure();
  }

  /** Closes the current segment: adds members that start on it but end later to its TOC. */
  closeSegment(): SegmentState {
    const segment = this.current();
    for (const member of this.options.spool.lookAhead()) {
      // Only where the member starts matters here: the chunk holding its end may not even be
      // compressed yet, and once this segment is closed no later TOC would list the member.
      const start = this.startOf(member);
      if (start === null || start >= this.committed) break;
      if (this.segmentOf(start) === segment.sequence) segment.toc.add(this.tocLine(member, start, segment));
    }
    // A file tar is still streaming when the tape fills (a large file, its header on this tape) is
    // not in the spool yet, and no later TOC lists a member that starts on a closed segment: it is
    // listed here, without the sha256 its last byte has not given yet (the catalog gets that).
    const open = this.options.openMember?.() ?? null;
    if (open) {
      const member = this.spooledForm(open);
      const start = this.startOf(member);
      if (start !== null && start < this.committed && this.segmentOf(start) === segment.sequence)
        segment.toc.add(this.tocLine(member, start, segment));
    }
    segment.closed = true;
    return segment;
  }

  /** Queues entries that never passed through tar (deletions since the base set). */
  addEntries(entries: CatalogRecord[]): void {
    for (const entry of entries) this.push(entry);
  }

  /** Sends what is batched; resolves once every chunk has been delivered. */
  async flush(): Promise<void> {
    this.batcher.cut();
    await this.sending;
    if (this.sendFailure) throw this.sendFailure;
  }

  /** Resolves while fewer than a few chunks wait for the hub; the drive writer waits on it. */
  async backpressure(): Promise<void> {
    if (this.sendFailure) throw this.sendFailure;
    if (this.unsent < MAX_UNSENT_CHUNKS) return;
    await new Promise<void>((resolve) => this.waiters.push(resolve));
    if (this.sendFailure) throw this.sendFailure;
  }

  private current(): SegmentState {
    const segment = this.segments.at(-1);
    if (!segment) throw new Error("no segment started");
    return segment;
  }

  /** Resolves up to `limit` members; true when more may be ready. */
  private resolve(limit: number): boolean {
    const { spool } = this.options;
    for (let n = 0; ; n++) {
      if (n === limit) {
        this.indexChunks();
        return true;
      }
      const member = spool.peek();
      if (!member) break;
      const position = this.positionOf(member);
      if (!position || position.end > this.committed) break;
      spool.take();
      const first = this.segmentOf(position.start);
      const last = this.segmentOf(Math.max(position.start, position.end - 1));
      const segment = this.segments[first];
      if (segment && !segment.closed) segment.toc.add(this.tocLine(member, position.start, segment));
      this.filesResolved++;
      // The wire tuple's JSON (toWireEntry's order) written from the spooled text: no tuple between.
      const f = member.fields;
      const line = `[${f.pathJson},"${f.type}",${f.size},${f.mode},${f.uid},${f.gid},${f.mtime},${f.linkJson},${f.sha256Json},${member.headerOffset},${first},${last},false]`;
      this.batcher.addLine(line, first, canonicalWireLine(line, f.pathJson));
    }
    this.indexChunks();
    return false;
  }

  private indexChunks(): void {
    const open = Math.floor(this.options.openOffset() / this.options.chunkBytes);
    const needed = Math.min(this.options.spool.peek()?.startChunk ?? open, open);
    for (const [index, placement] of this.placements) {
      if (placement.streamStart >= this.committed) break;
      if (!placement.indexed && !this.options.passthrough) {
        const segment = this.segments[this.segmentOf(placement.streamStart)];
        segment?.chunks.add(
          `[${index},${placement.plainStart},${placement.streamStart - (segment?.streamStart ?? 0)}]`,
        );
      }
      placement.indexed = true;
      if (index < needed && placement.streamEnd <= this.committed) this.placements.delete(index);
    }
  }

  private spooledForm(header: TarHeader): SpooledMember {
    const chunk = (offset: number) => Math.floor(offset / this.options.chunkBytes);
    return {
      ordinal: -1,
      startChunk: chunk(header.headerOffset),
      endChunk: chunk(Math.max(header.endOffset, header.headerOffset + 1) - 1),
      headerOffset: header.headerOffset,
      endOffset: header.endOffset,
      fields: spooledFields(spoolLine({ ...header, sha256: null })),
    };
  }

  private startOf(member: Pick<SpooledMember, "headerOffset" | "startChunk">): number | null {
    if (this.options.passthrough) return member.headerOffset;
    return this.placements.get(member.startChunk)?.streamStart ?? null;
  }

  private positionOf(member: SpooledMember): { start: number; end: number } | null {
    if (this.options.passthrough)
      return { start: member.headerOffset, end: Math.max(member.endOffset, member.headerOffset + 512) };
    const first = this.placements.get(member.startChunk);
    const last = this.placements.get(member.endChunk);
    if (!first || !last) return null;
    return { start: first.streamStart, end: last.streamEnd };
  }

  private segmentOf(offset: number): number {
    for (let i = this.segments.length - 1; i > 0; i--)
      if ((this.segments[i]?.streamStart ?? 0) <= offset) return i;
    return 0;
  }

  /**
   * The member's TocFile (contracts/toc.ts) as JSON, written out directly: the keys in TocFile's
   * order, strings through JSON.stringify, so the line is what JSON.stringify of the object gave.
   */
  private tocLine(member: SpooledMember, start: number, segment: SegmentState): string {
    const { pathJson, type, size, mode, uid, gid, mtime, linkJson, sha256Json } = member.fields;
    // Trees of small files share mtimes: one Date per distinct second, not per member.
    if (mtime !== this.isoOf.mtime) this.isoOf = { mtime, iso: new Date(Number(mtime) * 1000).toISOString() };
    const block = Math.floor(Math.max(0, start - segment.streamStart) / this.options.blockSize);
    const link = linkJson !== "null" ? `,"linkTarget":${linkJson}` : "";
    return `{"path":${pathJson},"size":${size},"mtime":"${this.isoOf.iso}","mode":"0${mode.toString(8).padStart(3, "0")}","type":"${TOC_TYPES[type]}","sha256":${sha256Json},"position":{"byteOffset":${member.headerOffset},"block":${block}}${link},"uid":${uid},"gid":${gid}}`;
  }

  /** The wire tuple is built here, at the edge: the batcher cuts and digests it as sent. */
  private push(record: CatalogRecord): void {
    this.batcher.add(toWireEntry(record));
  }

  private sendChunk(chunk: CatalogChunk): void {
    this.unsent++;
    this.sending = this.sending.then(async () => {
      if (this.sendFailure) return;
      try {
        await this.options.send(chunk);
      } catch (error) {
        this.sendFailure = error;
      } finally {
        this.unsent--;
        const waiters = this.waiters;
        this.waiters = [];
        for (const w of waiters) w();
      }
    });
  }
}

import { hash } from "node:crypto";
import {
  type CatalogChunk,
  type CatalogEntry,
  MAX_CATALOG_CHUNK_ENTRIES,
  MAX_REPORT_BYTES,
  type SegmentCatalogTally,
} from "../../contracts/agent-protocol.ts";
import {
  CatalogDigest,
  canonicalEntryLine,
  type LineHash,
  SegmentDigests,
} from "../../contracts/catalog-digest.ts";

/** The 32 bytes as a latin1 ("binary") string: no Buffer (and its ArrayBuffer) per line for the GC. */
const nodeLineHash: LineHash = (line) => hash("sha256", line, "binary");

/** `{"setUuid":"<36>","seq":<≤16 digits>,"entries":[]}` and then some. */
const ENVELOPE_BYTES = 256;

/** The JSON of chunks CatalogBatcher cut, built once from the entries' lines (see chunkJson). */
const encodings = new WeakMap<CatalogChunk, { json: string; entries: number }>();

/**
 * The chunk as JSON, byte for byte what JSON.stringify(chunk) gives: built from the lines the
 * batcher already encoded when it cut the chunk, else stringified here.
 */
export function chunkJson(chunk: CatalogChunk): string {
  return encodings.get(chunk)?.json ?? JSON.stringify(chunk);
}

/** How many entries the chunk holds, without decoding a chunk the batcher cut. */
export function chunkEntryCount(chunk: CatalogChunk): number {
  return encodings.get(chunk)?.entries ?? chunk.entries.length;
}

/**
 * The wire edge of the catalog: takes entries in their wire form, as CatalogEntry tuples (add) or
 * as the tuple's JSON line (addLine), because the chunk's JSON and the digest over it are exactly
 * what is sent. Each entry is encoded once: its line is sized, digested and joined into the chunk.
 * Cuts catalog entries into chunks the hub accepts: at most MAX_CATALOG_CHUNK_ENTRIES entries and
 * MAX_REPORT_BYTES of JSON each, whatever the paths' lengths. It also tallies, per segment, what it
 * passed on (count and CatalogDigest) for the order's closing report.
 */
export class CatalogBatcher {
  /**
   * The chunk's entries as their JSON, each followed by a comma, encoded as they come: no string
   * per entry outlives its add (5,000 held strings would survive every young-generation collection).
   */
  private buffer = Buffer.allocUnsafe(1 << 20);
  private used = 0;
  private count = 0;
  private readonly digests = new SegmentDigests(nodeLineHash);

  constructor(
    private readonly setUuid: string,
    private readonly nextSeq: () => number,
    private readonly emit: (chunk: CatalogChunk) => void,
    private readonly limits = { entries: MAX_CATALOG_CHUNK_ENTRIES, bytes: MAX_REPORT_BYTES },
  ) {}

  get pending(): number {
    return this.count;
  }

  add(entry: CatalogEntry): void {
    const line = JSON.stringify(entry);
    this.addLine(line, entry[10], canonicalEntryLine(entry, line));
  }

  /**
   * One entry as its wire JSON (`JSON.stringify` of its CatalogEntry tuple), the segment holding
   * its header (the tuple's [10]) and its canonical line for the digest (canonicalEntryLine).
   */
  addLine(line: string, segment: number, canonical: string): void {
    if (this.count >= this.limits.entries) this.cut();
    const at = this.used;
    // Its UTF-8 bytes and the comma after it: the size the chunk's JSON grows by.
    const size = this.encode(line, at) + 1;
    if (this.count > 0 && ENVELOPE_BYTES + at + size > this.limits.bytes) {
      this.cut();
      this.buffer.copyWithin(0, at, at + size);
    }
    this.used += size;
    this.count++;
    this.digests.addLine(segment, canonical);
  }

  /** Emits what is batched as one chunk (nothing when empty). */
  cut(): void {
    if (this.count === 0) return;
    const seq = this.nextSeq();
    const entries = this.buffer.toString("utf8", 0, this.used - 1);
    const json = `{"setUuid":${JSON.stringify(this.setUuid)},"seq":${seq},"entries":[${entries}]}`;
    const count = this.count;
    this.used = 0;
    this.count = 0;
    this.emit(encodedChunk(this.setUuid, seq, json, count));
  }

  /** Writes `line` and a comma at `at` (growing the buffer if it must); returns the line's bytes. */
  private encode(line: string, at: number): number {
    // UTF-8 takes at most 3 bytes per UTF-16 unit: only a line near the end is measured first.
    if (at + line.length * 3 + 1 > this.buffer.length) {
      const needed = at + Buffer.byteLength(line) + 1;
      if (needed > this.buffer.length) {
        const grown = Buffer.allocUnsafe(Math.max(needed, this.buffer.length * 2));
        this.buffer.copy(grown, 0, 0, at);
        this.buffer = grown;
      }
    }
    const bytes = this.buffer.write(line, at);
    this.buffer[at + bytes] = 44; // ","
    return bytes;
  }

  /** One tally per segment 0..segments-1, including those no entry's header lies on. */
  tallies(segments: number): SegmentCatalogTally[] {
    const out: SegmentCatalogTally[] = [];
    const { bySegment } = this.digests;
    const last = Math.max(segments - 1, ...bySegment.keys());
    for (let sequence = 0; sequence <= last; sequence++) {
      const digest = bySegment.get(sequence) ?? new CatalogDigest();
      out.push({ sequence, entries: digest.entries, digest: digest.hex() });
    }
    return out;
  }
}

/**
 * A chunk held as its JSON: the entries' tuples are decoded only if someone reads them (the hub
 * reporter sends chunkJson and never does), so no tuple per entry lives while chunks wait.
 */
function encodedChunk(setUuid: string, seq: number, json: string, count: number): CatalogChunk {
  let entries: CatalogEntry[] | null = null;
  const chunk: CatalogChunk = {
    setUuid,
    seq,
    get entries(): CatalogEntry[] {
      entries ??= (JSON.parse(json) as { entries: CatalogEntry[] }).entries;
      return entries;
    },
  };
  encodings.set(chunk, { json, entries: count });
  return chunk;
}

/** Every entry in chunks as CatalogBatcher cuts them (for a list already in memory, e.g. a TOC). */
export function cutCatalogChunks(
  setUuid: string,
  entries: CatalogEntry[],
  seqOf: (index: number) => number,
): CatalogChunk[] {
  const chunks: CatalogChunk[] = [];
  const batcher = new CatalogBatcher(
    setUuid,
    () => seqOf(chunks.length),
    (chunk) => chunks.push(chunk),
  );
  for (const entry of entries) batcher.add(entry);
  batcher.cut();
  return chunks;
}

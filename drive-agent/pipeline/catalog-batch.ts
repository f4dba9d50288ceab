import { hash } from "node:crypto";
import {
  type CatalogChunk,
  type CatalogEntry,
  MAX_CATALOG_CHUNK_ENTRIES,
  MAX_REPORT_BYTES,
  type SegmentCatalogTally,
} from "../../contracts/agent-protocol.ts";
import { CatalogDigest, type LineHash, SegmentDigests } from "../../contracts/catalog-digest.ts";

const nodeLineHash: LineHash = (line) => hash("sha256", line, "buffer");

/** `{"setUuid":"<36>","seq":<≤16 digits>,"entries":[]}` and then some. */
const ENVELOPE_BYTES = 256;

/**
 * The wire edge of the catalog: takes entries in their wire form (CatalogEntry tuples, see
 * toWireEntry) because the chunk's JSON and the digest over it are exactly what is sent.
 * Cuts catalog entries into chunks the hub accepts: at most MAX_CATALOG_CHUNK_ENTRIES entries and
 * MAX_REPORT_BYTES of JSON each, whatever the paths' lengths. It also tallies, per segment, what it
 * passed on (count and CatalogDigest) for the order's closing report.
 */
export class CatalogBatcher {
  private entries: CatalogEntry[] = [];
  private bytes = ENVELOPE_BYTES;
  /** node:crypto's one-shot sha256: the digest @noble/hashes gives, at a fraction of its cost. */
  private readonly digests = new SegmentDigests(nodeLineHash);

  constructor(
    private readonly setUuid: string,
    private readonly nextSeq: () => number,
    private readonly emit: (chunk: CatalogChunk) => void,
    private readonly limits = { entries: MAX_CATALOG_CHUNK_ENTRIES, bytes: MAX_REPORT_BYTES },
  ) {}

  get pending(): number {
    return this.entries.length;
  }

  add(entry: CatalogEntry): void {
    const line = JSON.stringify(entry);
    const size = Buffer.byteLength(line) + 1;
    if (this.entries.length >= this.limits.entries || this.bytes + size > this.limits.bytes) this.cut();
    this.entries.push(entry);
    this.bytes += size;
    this.digests.add(entry, line);
  }

  /** Emits what is batched as one chunk (nothing when empty). */
  cut(): void {
    if (this.entries.length === 0) return;
    const chunk: CatalogChunk = { setUuid: this.setUuid, seq: this.nextSeq(), entries: this.entries };
    this.entries = [];
    this.bytes = ENVELOPE_BYTES;
    this.emit(chunk);
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

import { isDriveError } from "../../errors.ts";
import {
  DamagedStream,
  decodePlain,
  type MemberOnTape,
  readRaw,
  type SegmentLayout,
  type SegmentSource,
  type SetShape,
  type StartPoint,
  startPoint,
} from "./set-reader.ts";
import { type ExpectedMember, type FileOutcome, type OverwritePolicy, TarExtractor } from "./tar-extract.ts";

/** A member to restore: where its header is in the tar stream and which segment holds its chunk. */
export type Selected = ExpectedMember & { segment: number };

export type RestoreSetInput = {
  source: SegmentSource;
  shape: SetShape;
  /** Members sorted by offset, or "all": the whole set from its start to the end of the archive. */
  selection: Selected[] | "all";
  /** For "all": what the TOCs read so far say a member must be (null: nothing known). */
  expectedAt?: (offset: number) => ExpectedMember | null;
  destination: string | null;
  overwrite: OverwritePolicy;
  owners: boolean;
  onFile: (result: FileOutcome) => void | Promise<void>;
  /** Where the read is in the tar stream, and the content bytes of the file being read so far. */
  onBytes?: (plainOffset: number, openBytes: number) => void;
  signal?: AbortSignal;
  /** With no destination: the wanted files' content in stream order (TarExtractor onContent). */
  onContent?: (data: Buffer) => Promise<void>;
};

export type RestoreSetSummary = {
  restored: number;
  skipped: number;
  failed: number;
  plainBytes: number;
  errors: string[];
};

/** Past this gap between selected members, seeking again is cheaper than reading through. */
const RESEEK_GAP_BYTES = 64 << 20;
const HEADER_ROOM = 3 * 512;

/**
 * Restores a selection from tape: each run of nearby members is read from the chunk or block
 * holding its first header, only as far as its last member; far-apart members get a seek of their
 * own. A damaged stretch fails the members it touches and the next run starts afresh.
 */
export async function restoreSet(input: RestoreSetInput): Promise<RestoreSetSummary> {
  const summary: RestoreSetSummary = { restored: 0, skipped: 0, failed: 0, plainBytes: 0, errors: [] };
  const onFile = async (result: FileOutcome) => {
    if (result.outcome === "failed") summary.failed++;
    else if (result.outcome === "skipped") summary.skipped++;
    else summary.restored++;
    await input.onFile(result);
  };
  if (input.selection === "all") {
    await readRun(input, null, onFile, summary);
    return summary;
  }
  for (const run of runsOf(input.selection)) {
    if (input.signal?.aborted) break;
    await readRun(input, run, onFile, summary);
  }
  return summary;
}

export function runsOf(selection: Selected[]): Selected[][] {
  const sorted = [...selection].sort((a, b) => a.offset - b.offset);
  const runs: Selected[][] = [];
  let end = -1;
  for (const member of sorted) {
    const current = runs.at(-1);
    if (current && member.offset - end <= RESEEK_GAP_BYTES) current.push(member);
    else runs.push([member]);
    end = Math.max(end, member.offset + member.size + HEADER_ROOM);
  }
  return runs;
}

async function readRun(
  input: RestoreSetInput,
  run: Selected[] | null,
  onFile: (result: FileOutcome) => Promise<void>,
  summary: RestoreSetSummary,
): Promise<void> {
  const source = new TrackingSource(input.source);
  const expectedAt = input.expectedAt ?? ((offset: number) => source.index.get(offset) ?? null);
  const byOffset = new Map((run ?? []).map((m) => [m.offset, m]));
  const pending = new Set(byOffset.keys());
  const reported = new Set<number>();
  const report = async (result: FileOutcome) => {
    reported.add(result.offset);
    pending.delete(result.offset);
    await onFile(result);
  };
  const wanted = (offset: number) => {
    if (run === null) return expectedAt(offset) ?? "any";
    pending.delete(offset);
    return byOffset.get(offset) ?? null;
  };
  const chunked = input.shape.compression !== "none" || input.shape.key !== null;
  let from: { offset: number; segment: number } | null = run?.[0] ?? { offset: 0, segment: 0 };
  let failure: string | null = null;
  while (from !== null && !input.signal?.aborted) {
    const attempt = from;
    from = null;
    const extractor = new TarExtractor(attempt.offset, {
      destination: input.destination,
      overwrite: input.overwrite,
      ...(input.onContent ? { onContent: input.onContent } : {}),
      owners: input.owners,
      wanted,
      onFile: report,
    });
    try {
      await readFrom(input, source, attempt, extractor, summary, () => {
        // Every wanted header seen and the last one's content read to its end: stop here.
        return run !== null && pending.size === 0 && !extractor.busy;
      });
    } catch (error) {
      const damage = chunked && error instanceof DamagedStream ? error : null;
      const resync = damage ? await source.resync(damage, run) : null;
      if (!damage || !resync) {
        failure = describe(error);
        summary.errors.push(failure);
        await extractor.abort(failure);
      } else {
        // The damaged chunk's members fail by name; reading goes on at the first member whose
        // header lies in a good chunk after it, so the rest of the set is still read.
        const why = `${resync.chunk} is damaged (${damage.message})`;
        await extractor.abort(why);
        const lost = (run ?? source.index.sorted()).filter(
          (m) =>
            m.offset >= attempt.offset &&
            !reported.has(m.offset) &&
            (!resync.next || m.offset < resync.next.offset),
        );
        for (const m of lost)
          await report({ path: m.path, offset: m.offset, outcome: "failed", writtenTo: null, error: why });
        summary.errors.push(
          `${resync.chunk} is damaged: ${lost.length} member(s) in it not ${input.destination === null ? "verified" : "restored"}; ${
            resync.next ? `read on from tar offset ${resync.next.offset}` : "nothing after it"
          }`,
        );
        from = resync.next;
        if (run !== null && pending.size === 0) from = null;
      }
    }
    await extractor.finish();
  }
  for (const offset of pending) {
    const member = byOffset.get(offset);
    if (!member) continue;
    await onFile({
      path: member.path,
      offset,
      outcome: "failed",
      writtenTo: null,
      error: failure ? `not read: ${failure}` : `no such member at tar offset ${offset} in the set`,
    });
  }
}

/** Reads and extracts from the member header at `from.offset` until the stream or the run ends. */
async function readFrom(
  input: RestoreSetInput,
  source: TrackingSource,
  from: { offset: number; segment: number },
  extractor: TarExtractor,
  summary: RestoreSetSummary,
  done: () => boolean,
): Promise<void> {
  let start: StartPoint | null = null;
  // A member whose header is on this tape may sit in a chunk that began on the tape before.
  for (let seq = from.segment; seq >= Math.max(0, from.segment - 1) && !start; seq--)
    start = startPoint(input.shape, await source.segment(seq), from.offset);
  if (!start) throw new Error(`tar offset ${from.offset} is not on tape ${from.segment + 1} of the set`);
  let toSkip = from.offset - start.plainStart;
  let at = start.plainStart;
  for await (let plain of decodePlain(readRaw(source, input.shape, start), input.shape, start.plainStart)) {
    at += plain.length;
    if (toSkip > 0) {
      const cut = Math.min(toSkip, plain.length);
      plain = plain.subarray(cut);
      toSkip -= cut;
    }
    if (plain.length > 0) await extractor.push(plain);
    summary.plainBytes = Math.max(summary.plainBytes, at);
    input.onBytes?.(extractor.offset, extractor.openBytes);
    if (extractor.ended || done() || input.signal?.aborted) break;
  }
}

/**
 * The caller's source, remembering each tape's layout (and the members its TOC lists) so a
 * damaged chunk can be placed and stepped over without loading tapes again.
 */
class TrackingSource implements SegmentSource {
  readonly index = new MemberIndex();
  private readonly layouts = new Map<number, SegmentLayout>();
  private current = 0;

  constructor(private readonly inner: SegmentSource) {}

  get drive() {
    return this.inner.drive;
  }

  async segment(seq: number): Promise<SegmentLayout> {
    const layout = await this.inner.segment(seq);
    this.layouts.set(seq, layout);
    this.index.add(layout);
    this.current = seq;
    return layout;
  }

  private async layout(seq: number): Promise<SegmentLayout> {
    return this.layouts.get(seq) ?? this.segment(seq);
  }

  /**
   * Where to go on after the chunk holding tar offset `damage.plainOffset`: the first member
   * (of the run, or of the TOCs) whose header is at or after the next chunk's start. Null when
   * the chunk cannot be placed (no chunk index) or no member is known to resync on.
   */
  async resync(
    damage: DamagedStream,
    run: Selected[] | null,
  ): Promise<{ chunk: string; next: { offset: number; segment: number } | null } | null> {
    const at = damage.plainOffset;
    let seq = this.current;
    let chunk = (await this.layout(seq)).chunks.findLast((c) => c[1] <= at);
    while (!chunk && seq > 0) {
      seq--;
      chunk = (await this.layout(seq)).chunks.findLast((c) => c[1] <= at);
    }
    if (!chunk) return null;
    if (run === null && this.index.size === 0) return null;
    let nextStart: number | null = null;
    for (let s = seq; nextStart === null; s++) {
      const l = await this.layout(s);
      nextStart = l.chunks.find((c) => c[1] > at)?.[1] ?? null;
      if (nextStart === null && !l.continues) break;
    }
    const name = `chunk ${chunk[0]} (tar offset ${chunk[1]}${nextStart === null ? " to the end" : ` to ${nextStart}`}) on tape ${seq + 1} of the set`;
    if (nextStart === null) return { chunk: name, next: null };
    const limit = nextStart;
    if (run !== null) {
      const next = run.find((m) => m.offset >= limit);
      return { chunk: name, next: next ? { offset: next.offset, segment: next.segment } : null };
    }
    // The member to resync on may be listed only in the next tape's TOC.
    for (let s = seq; ; s++) {
      const next = this.index.firstAtOrAfter(limit);
      if (next) return { chunk: name, next: { offset: next.offset, segment: next.segment } };
      const l = await this.layout(s);
      if (!l.continues) return { chunk: name, next: null };
      await this.layout(s + 1);
    }
  }
}

/** Members of the TOCs read so far, by tar offset. */
class MemberIndex {
  private readonly byOffset = new Map<number, MemberOnTape>();
  private readonly seqs = new Set<number>();
  private ordered: MemberOnTape[] | null = null;

  get size(): number {
    return this.byOffset.size;
  }

  add(layout: SegmentLayout): void {
    if (!layout.members || this.seqs.has(layout.seq)) return;
    this.seqs.add(layout.seq);
    for (const m of layout.members) this.byOffset.set(m.offset, m);
    this.ordered = null;
  }

  get(offset: number): MemberOnTape | undefined {
    return this.byOffset.get(offset);
  }

  sorted(): MemberOnTape[] {
    this.ordered ??= [...this.byOffset.values()].sort((a, b) => a.offset - b.offset);
    return this.ordered;
  }

  firstAtOrAfter(offset: number): MemberOnTape | null {
    return this.sorted().find((m) => m.offset >= offset) ?? null;
  }
}

function describe(error: unknown): string {
  if (isDriveError(error))
    return `${error.message} (${error.recovery === "retry" ? "retry may help" : "operator action needed"})`;
  return (error as Error).message ?? String(error);
}

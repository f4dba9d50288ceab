import { isDriveError } from "../../errors.ts";
import { decodePlain, readRaw, type SegmentSource, type SetShape, startPoint } from "./set-reader.ts";
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
  onBytes?: (plainOffset: number) => void;
  signal?: AbortSignal;
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
  const first = run?.[0] ?? { offset: 0, segment: 0 };
  const byOffset = new Map((run ?? []).map((m) => [m.offset, m]));
  const pending = new Set(byOffset.keys());
  const wanted = (offset: number) => {
    if (run === null) return input.expectedAt?.(offset) ?? "any";
    pending.delete(offset);
    return byOffset.get(offset) ?? null;
  };
  const extractor = new TarExtractor(first.offset, {
    destination: input.destination,
    overwrite: input.overwrite,
    owners: input.owners,
    wanted,
    onFile,
  });
  let failure: string | null = null;
  try {
    const layout = await input.source.segment(first.segment);
    const start = startPoint(input.shape, layout, first.offset);
    if (!start) throw new Error(`tar offset ${first.offset} is not on tape ${first.segment + 1} of the set`);
    let toSkip = first.offset - start.plainStart;
    let at = start.plainStart;
    for await (let plain of decodePlain(
      readRaw(input.source, input.shape, start),
      input.shape,
      start.plainStart,
    )) {
      at += plain.length;
      if (toSkip > 0) {
        const cut = Math.min(toSkip, plain.length);
        plain = plain.subarray(cut);
        toSkip -= cut;
      }
      if (plain.length > 0) await extractor.push(plain);
      summary.plainBytes = Math.max(summary.plainBytes, at);
      input.onBytes?.(extractor.offset);
      // Every wanted header seen and the last one's content read to its end: stop here.
      const done = run !== null && pending.size === 0 && !extractor.busy;
      if (extractor.ended || done || input.signal?.aborted) break;
    }
  } catch (error) {
    failure = describe(error);
  }
  if (failure) {
    summary.errors.push(failure);
    await extractor.abort(failure);
  }
  await extractor.finish();
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

function describe(error: unknown): string {
  if (isDriveError(error))
    return `${error.message} (${error.recovery === "retry" ? "retry may help" : "operator action needed"})`;
  return (error as Error).message ?? String(error);
}

/**
 * The throughput of a run over time, kept on the run itself (job_runs.throughput_samples): each
 * progress report adds [seconds since the run started, bytes done]. The list never grows past
 * MAX_STORED_SAMPLES: when full, every other sample goes (the first and the newest stay), so a
 * run of minutes or of days keeps its whole shape, from its start, at a coarser step.
 */
export interface Sample {
  seconds: number;
  bytes: number;
}

export const MAX_STORED_SAMPLES = 120;

export type StoredSamples = [number, number][];

const toSamples = (stored: StoredSamples | null | undefined): Sample[] =>
  (stored ?? []).map(([seconds, bytes]) => ({ seconds, bytes }));

/**
 * `stored` with the figure of `at` added: one sample per second at most (a later one of the same
 * second replaces it), never going back in time, thinned when full. Null when the run has not
 * started (there is no "since start" yet).
 */
export function recordSample(
  stored: StoredSamples | null | undefined,
  run: { startedAt: Date | null },
  bytesDone: number,
  at: Date,
): StoredSamples | null {
  if (!run.startedAt) return stored ?? null;
  const seconds = Math.max(0, Math.round((at.getTime() - run.startedAt.getTime()) / 1000));
  const kept = (stored ?? []).filter(([s]) => s < seconds);
  const next: StoredSamples = [...kept, [seconds, bytesDone]];
  return next.length > MAX_STORED_SAMPLES ? thin(next) : next;
}

/** Every other sample, keeping the first and the newest: half as many, the same span. */
function thin(samples: StoredSamples): StoredSamples {
  const last = samples.at(-1) as [number, number];
  const halved = samples.filter((_, i) => i % 2 === 0 && i < samples.length - 1);
  return [...halved, last];
}

/**
 * The run's chart data: its stored history from the start, ending at its figure of now (or of
 * its finish), so a page opened late or after the end shows the whole run.
 */
export function runSamples(
  run: {
    startedAt: Date | null;
    finishedAt: Date | null;
    bytesDone: number;
    throughputSamples: StoredSamples | null;
  },
  now: Date,
): Sample[] {
  const history = toSamples(run.throughputSamples);
  if (!run.startedAt) return history;
  const end = run.finishedAt ?? now;
  const seconds = Math.max(0, Math.round((end.getTime() - run.startedAt.getTime()) / 1000));
  const earlier = history.filter((s) => s.seconds < seconds);
  // A run starts with nothing moved: the chart begins at its start even when the first report came later.
  const fromStart = earlier[0]?.seconds === 0 ? earlier : [{ seconds: 0, bytes: 0 }, ...earlier];
  return [...fromStart, { seconds, bytes: run.bytesDone }];
}

/** Rate points over time: bytes per second over a window of the last few samples, so bursts even out. */
export function ratePoints(samples: Sample[], window = 3): { seconds: number; rate: number }[] {
  const out: { seconds: number; rate: number }[] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[Math.max(0, i - window)] as Sample;
    const b = samples[i] as Sample;
    const dt = b.seconds - a.seconds;
    if (dt > 0) out.push({ seconds: b.seconds, rate: Math.max(0, (b.bytes - a.bytes) / dt) });
  }
  return out;
}

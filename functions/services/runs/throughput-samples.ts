/**
 * The throughput of a run over time, without the hub keeping anything: the run page carries its
 * own samples ("seconds:bytes,…", seconds since the run started) in a hidden field, sends them
 * back with each poll, and gets them back with the new sample appended. A reload starts afresh.
 */
export interface Sample {
  seconds: number;
  bytes: number;
}

export const MAX_SAMPLES = 90;
export const SAMPLES_PATTERN = /^(\d{1,7}:\d{1,16})?(,\d{1,7}:\d{1,16})*$/;

export function parseSamples(text: string | undefined): Sample[] {
  if (!text || !SAMPLES_PATTERN.test(text)) return [];
  return text.split(",").map((pair) => {
    const [seconds, bytes] = pair.split(":").map(Number);
    return { seconds: seconds ?? 0, bytes: bytes ?? 0 };
  });
}

/** The samples with the run's figure of now appended (one per second at most), the newest MAX_SAMPLES. */
export function appendSample(
  samples: Sample[],
  run: { startedAt: Date | null; finishedAt: Date | null; bytesDone: number },
  now: Date,
): Sample[] {
  if (!run.startedAt) return samples;
  const end = run.finishedAt ?? now;
  const seconds = Math.max(0, Math.round((end.getTime() - run.startedAt.getTime()) / 1000));
  const last = samples.at(-1);
  const kept = last && last.seconds >= seconds ? samples.slice(0, -1) : samples;
  return [...kept.filter((s) => s.seconds <= seconds), { seconds, bytes: run.bytesDone }].slice(-MAX_SAMPLES);
}

export const formatSamples = (samples: Sample[]) => samples.map((s) => `${s.seconds}:${s.bytes}`).join(",");

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

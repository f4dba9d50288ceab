import { describe, expect, it } from "vitest";
import {
  MAX_STORED_SAMPLES,
  ratePoints,
  recordSample,
  runSamples,
  type StoredSamples,
} from "../../functions/services/runs/throughput-samples.ts";

const start = new Date("2026-12-01T22:00:00Z");
const at = (seconds: number) => new Date(start.getTime() + seconds * 1000);
const run = { startedAt: start };

describe("a run's throughput history, kept on the hub", () => {
  it("adds one sample per report, seconds since the start, and a later one of the same second replaces it", () => {
    let stored = recordSample(null, run, 0, at(0));
    stored = recordSample(stored, run, 2_000_000, at(2));
    stored = recordSample(stored, run, 2_500_000, at(2.2));
    expect(stored).toEqual([
      [0, 0],
      [2, 2_500_000],
    ]);
  });

  it("keeps nothing before the run started", () => {
    expect(recordSample(null, { startedAt: null }, 100, at(5))).toBeNull();
  });

  it("never holds more than MAX_STORED_SAMPLES, and a long run keeps its start and its newest sample", () => {
    let stored: StoredSamples | null = null;
    for (let s = 0; s <= 36_000; s += 2) stored = recordSample(stored, run, s * 1000, at(s));
    const samples = stored as StoredSamples;
    expect(samples.length).toBeLessThanOrEqual(MAX_STORED_SAMPLES);
    expect(samples.length).toBeGreaterThan(MAX_STORED_SAMPLES / 2);
    expect(samples[0]).toEqual([0, 0]);
    expect(samples.at(-1)).toEqual([36_000, 36_000_000]);
    const seconds = samples.map(([s]) => s);
    expect([...seconds].sort((a, b) => a - b)).toEqual(seconds);
  });

  it("a finished run's chart runs from its start to its finish, at the rate it had", () => {
    let stored: StoredSamples | null = null;
    for (let s = 0; s <= 60; s += 2) stored = recordSample(stored, run, s * 3_000_000, at(s));
    const samples = runSamples(
      { startedAt: start, finishedAt: at(61), bytesDone: 183_000_000, throughputSamples: stored },
      at(3600),
    );
    expect(samples[0]).toEqual({ seconds: 0, bytes: 0 });
    expect(samples.at(-1)).toEqual({ seconds: 61, bytes: 183_000_000 });
    const rates = ratePoints(samples).map((p) => Math.round(p.rate));
    expect(new Set(rates)).toEqual(new Set([3_000_000]));
  });

  it("a chart begins at the run's start even when its first report came seconds later", () => {
    const stored = recordSample(recordSample(null, run, 4_000_000, at(3)), run, 8_000_000, at(5));
    const samples = runSamples(
      { startedAt: start, finishedAt: null, bytesDone: 9_000_000, throughputSamples: stored },
      at(6),
    );
    expect(samples.map((s) => s.seconds)).toEqual([0, 3, 5, 6]);
    expect(samples[0]).toEqual({ seconds: 0, bytes: 0 });
  });
});
